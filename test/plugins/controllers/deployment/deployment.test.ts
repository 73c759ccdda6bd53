/**
 * The Deployment controller on a fake API: ReplicaSet naming, RollingUpdate
 * and Recreate steps, revisions and history, pause, proportional scaling,
 * the progress deadline. The ReplicaSet controller is stood in for by the
 * harness (sets report their pods available unless held back).
 */
import {
  POD_TEMPLATE_HASH_LABEL,
  REPLICASETS,
  computeHash,
  fnv32a,
  maxSurge,
  maxUnavailable,
  safeEncodeString,
  type DeploymentObject,
  type ReplicaSetObject,
} from '../../../../plugins/controllers/deployment';
import { Harness, PODS } from './harness';

let h: Harness;
beforeEach(() => {
  h = new Harness().start();
});
afterEach(() => h.stop());

const byImage = (sets: ReplicaSetObject[], image: string) => sets.find((rs) => rs.spec?.template?.spec?.containers[0].image === image);
const condition = (d: DeploymentObject, type: string) => d.status?.conditions?.find((c) => c.type === type);

describe('pod-template hash', () => {
  test('FNV-32a and SafeEncodeString as Kubernetes computes them', () => {
    expect(fnv32a(new Uint8Array())).toBe(0x811c9dc5);
    expect(fnv32a(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv32a(Buffer.from('foobar'))).toBe(0xbf9cf968);
    // Every character maps into "bcdfghjklmnpqrstvwxz2456789" by code point modulo 27 ('0' is 48: index 21).
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    const hash = computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } });
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    // Key order does not matter; content and collisionCount do.
    expect(computeHash({ spec: { containers: [{ image: 'web:1', name: 'web' }] }, metadata: { labels: { app: 'web' } } })).toBe(hash);
    expect(computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } })).not.toBe(hash);
    expect(computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } }, 1)).not.toBe(hash);
  });

  test('the ReplicaSet is <deployment>-<hash>, labelled, selected and owned', async () => {
    const d = await h.create('web', { replicas: 3 });
    await h.rollOut();
    const [rs] = await h.replicaSets();
    const hash = computeHash(d.spec!.template);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.labels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    expect(rs.spec!.selector.matchLabels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    expect(rs.spec!.template!.metadata!.labels).toEqual({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(rs.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    expect(h.scalingMessages()).toEqual([`Scaled up replica set web-${hash} to 3`]);

    const done = await h.deployment('web');
    expect(done.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(done.status).toMatchObject({ observedGeneration: done.metadata.generation, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(condition(done, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    expect(condition(done, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "web-${hash}" has successfully progressed.` });
  });

  test('a name taken by another template bumps collisionCount and picks another hash', async () => {
    const template = h.deploymentObject('web').spec as { template: never };
    const hash = computeHash(template.template);
    await h.api.create(REPLICASETS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `web-${hash}`, namespace: 'default', labels: { other: 'x' } },
      spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } },
    }, { namespace: 'default' });
    await h.create('web');
    await h.rollOut();
    const d = await h.deployment('web');
    expect(d.status?.collisionCount).toBe(1);
    const mine = (await h.replicaSets()).filter((rs) => rs.metadata.ownerReferences?.length);
    expect(mine.map((rs) => rs.metadata.name)).toEqual([`web-${computeHash(template.template, 1)}`]);
  });

  test('an orphan ReplicaSet the selector matches is adopted; one it no longer matches is released', async () => {
    const d = h.deploymentObject('web') as DeploymentObject;
    const hash = computeHash(d.spec!.template);
    await h.api.create(REPLICASETS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `web-${hash}`, namespace: 'default', labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash } },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash } }, template: { ...d.spec!.template, metadata: { labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash } } } },
    }, { namespace: 'default' });
    const created = await h.create('web');
    await h.rollOut();
    let [rs] = await h.replicaSets();
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ uid: created.metadata.uid, controller: true });
    await h.api.patch(REPLICASETS, rs.metadata.name, 'merge', { metadata: { labels: { app: 'other' } } }, { namespace: 'default' });
    await h.idle();
    rs = (await h.replicaSets()).find((x) => x.metadata.name === rs.metadata.name)!;
    expect(rs.metadata.ownerReferences ?? []).toEqual([]);
  });
});

describe('fenceposts', () => {
  test.each([
    // replicas, maxSurge, maxUnavailable, surge, unavailable
    [3, 1, 0, 1, 0],
    [10, '25%', '25%', 3, 2],
    [4, '25%', '25%', 1, 1],
    [1, '25%', '25%', 1, 0],
    [3, '10%', '10%', 1, 0],
    [3, 0, '10%', 0, 1], // both resolve to zero: one may be unavailable
    [5, '100%', 0, 5, 0],
    [2, 0, 5, 0, 2], // never more unavailable than replicas
    [0, '25%', '25%', 0, 0],
  ])('replicas %p, maxSurge %p, maxUnavailable %p: surge %p, unavailable %p', (replicas, surge, unavailable, wantSurge, wantUnavailable) => {
    const d = { metadata: {}, spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } } } as unknown as DeploymentObject;
    expect(maxSurge(d)).toBe(wantSurge);
    expect(maxUnavailable(d)).toBe(wantUnavailable);
  });
});

describe('RollingUpdate', () => {
  test('maxSurge 1, maxUnavailable 0: one new pod at a time, never fewer than 3 available nor more than 4', async () => {
    await h.create('web', { replicas: 3, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    await h.rollOut();
    h.events.length = 0;
    await h.setImage('web', 'web:2');
    await h.rollOut((sets) => {
      const available = sets.reduce((n, rs) => n + Math.min(rs.status?.availableReplicas ?? 0, rs.spec?.replicas ?? 0), 0);
      const total = sets.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      expect(available).toBeGreaterThanOrEqual(3);
      expect(total).toBeLessThanOrEqual(4);
    });
    const sets = await h.replicaSets();
    const [oldName, newName] = [byImage(sets, 'web:1')!.metadata.name, byImage(sets, 'web:2')!.metadata.name];
    expect(h.scalingMessages()).toEqual([
      `Scaled up replica set ${newName} to 1`,
      `Scaled down replica set ${oldName} to 2 from 3`,
      `Scaled up replica set ${newName} to 2 from 1`,
      `Scaled down replica set ${oldName} to 1 from 2`,
      `Scaled up replica set ${newName} to 3 from 2`,
      `Scaled down replica set ${oldName} to 0 from 1`,
    ]);
    const d = await h.deployment('web');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect(condition(d, 'Progressing')).toMatchObject({ reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newName}" has successfully progressed.` });
  });

  test('percentages: 10 replicas at 25%/25% surge 3 (rounded up) and drop 2 (rounded down)', async () => {
    await h.create('web', { replicas: 10 });
    await h.rollOut();
    h.events.length = 0;
    await h.setImage('web', 'web:2');
    await h.idle();
    const rs2 = byImage(await h.replicaSets(), 'web:2')!;
    const rs1 = byImage(await h.replicaSets(), 'web:1')!;
    // Surge: 13 pods at most, so 3 new ones; 8 must stay available (the 10 old
    // ones are), so 2 old ones go, which makes room for 2 more new ones.
    expect(h.scalingMessages()).toEqual([
      `Scaled up replica set ${rs2.metadata.name} to 3`,
      `Scaled down replica set ${rs1.metadata.name} to 8 from 10`,
      `Scaled up replica set ${rs2.metadata.name} to 5 from 3`,
    ]);
    expect(await h.sizes()).toEqual({ 'web:1': 8, 'web:2': 5 });
    h.hold.add(rs2.metadata.name); // the new pods are not available yet
    await h.settleReplicaSets();
    await h.idle();
    // 13 pods, 8 available (all old), the 5 new ones not: nothing more may go.
    expect(await h.sizes()).toEqual({ 'web:1': 8, 'web:2': 5 });
    const d = await h.deployment('web');
    expect(d.status).toMatchObject({ replicas: 13, updatedReplicas: 5, availableReplicas: 8, unavailableReplicas: 5 });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs2.metadata.name}" is progressing.` });
    h.hold.clear();
    let minAvailable = Infinity;
    await h.rollOut((sets) => {
      minAvailable = Math.min(minAvailable, sets.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0));
    });
    expect(minAvailable).toBeGreaterThanOrEqual(8);
    expect(await h.sizes()).toEqual({ 'web:1': 0, 'web:2': 10 });
  });

  test('unhealthy old replicas are scaled down first', async () => {
    await h.create('web', { replicas: 3, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    await h.rollOut();
    await h.setImage('web', 'web:2');
    await h.idle();
    const sets = await h.replicaSets();
    h.hold.add(byImage(sets, 'web:2')!.metadata.name);
    await h.settleReplicaSets();
    await h.idle();
    expect(await h.sizes()).toEqual({ 'web:1': 3, 'web:2': 1 });
    // A third template while web:2's pod is unavailable: web:2 counts as an old set with an unhealthy replica.
    const rs2 = byImage(sets, 'web:2')!.metadata.name;
    h.events.length = 0;
    await h.setImage('web', 'web:3');
    await h.idle();
    // The total is at 4 already: web:3 starts at 0, and web:2's unavailable pod goes before any of web:1's.
    expect(h.scalingMessages()[0]).toBe(`Scaled down replica set ${rs2} to 0 from 1`);
    expect(await h.sizes()).toMatchObject({ 'web:1': 3, 'web:2': 0 });
    await h.rollOut();
    expect(await h.sizes()).toEqual({ 'web:1': 0, 'web:2': 0, 'web:3': 3 });
  });
});

describe('Recreate', () => {
  test('old sets to zero, new set only once their pods are gone', async () => {
    await h.create('web', { replicas: 2, strategy: { type: 'Recreate' } });
    await h.rollOut();
    const [old] = await h.replicaSets();
    for (const name of ['a', 'b']) {
      await h.api.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `web-${name}`, namespace: 'default', labels: { ...old.spec!.template!.metadata!.labels }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: old.metadata.name, uid: old.metadata.uid, controller: true }] },
        spec: { containers: [{ name: 'web', image: 'web:1' }] },
        status: { phase: 'Running' },
      }, { namespace: 'default' });
    }
    await h.setImage('web', 'web:2');
    await h.idle();
    expect(await h.sizes()).toEqual({ 'web:1': 0 });
    await h.settleReplicaSets(); // the set reports no pods, but two still exist (terminating)
    await h.idle();
    expect(await h.sizes()).toEqual({ 'web:1': 0 });
    await h.api.delete(PODS, 'web-a', { namespace: 'default' });
    await h.idle();
    expect(await h.sizes()).toEqual({ 'web:1': 0 });
    await h.api.delete(PODS, 'web-b', { namespace: 'default' });
    await h.idle();
    expect(await h.sizes()).toEqual({ 'web:1': 0, 'web:2': 2 });
    await h.rollOut();
    const d = await h.deployment('web');
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
    const newName = byImage(await h.replicaSets(), 'web:2')!.metadata.name;
    expect(h.scalingMessages()).toEqual([`Scaled up replica set ${old.metadata.name} to 2`, `Scaled down replica set ${old.metadata.name} to 0 from 2`, `Scaled up replica set ${newName} to 2`]);
  });
});

describe('revisions', () => {
  test('max+1 for a new template; a template coming back takes the new revision and keeps its history; change-cause copied', async () => {
    await h.create('web', { replicas: 1, annotations: { 'kubernetes.io/change-cause': 'first' } });
    await h.rollOut();
    await h.api.patch({ group: 'apps', version: 'v1', resource: 'deployments' }, 'web', 'merge', { metadata: { annotations: { 'kubernetes.io/change-cause': 'second' } }, spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } } }, { namespace: 'default' });
    await h.rollOut();
    let sets = await h.replicaSets();
    expect(byImage(sets, 'web:1')!.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '1', 'kubernetes.io/change-cause': 'first' });
    expect(byImage(sets, 'web:2')!.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '2', 'kubernetes.io/change-cause': 'second' });
    // Undo: the template of revision 1 again (what kubectl rollout undo patches in).
    await h.setImage('web', 'web:1');
    await h.rollOut();
    sets = await h.replicaSets();
    expect(sets).toHaveLength(2);
    expect(byImage(sets, 'web:1')!.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect((await h.deployment('web')).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(await h.sizes()).toEqual({ 'web:1': 1, 'web:2': 0 });
  });

  test('revisionHistoryLimit keeps the newest old sets with nothing left and deletes the oldest', async () => {
    await h.create('web', { replicas: 1, revisionHistoryLimit: 2 });
    await h.rollOut();
    for (const image of ['web:2', 'web:3', 'web:4', 'web:5']) {
      await h.setImage('web', image);
      await h.rollOut();
    }
    const sets = await h.replicaSets();
    expect(sets.map((rs) => [rs.spec!.template!.spec!.containers[0].image, rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs.spec!.replicas])).toEqual([
      ['web:3', '3', 0],
      ['web:4', '4', 0],
      ['web:5', '5', 1],
    ]);
  });
});

describe('pause and scale', () => {
  test('paused: no rollout, condition DeploymentPaused; scaling still applies; resume rolls', async () => {
    await h.create('web', { replicas: 2 });
    await h.rollOut();
    await h.patchSpec('web', { paused: true });
    await h.setImage('web', 'web:2');
    await h.rollOut();
    expect(await h.sizes()).toEqual({ 'web:1': 2 });
    let d = await h.deployment('web');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    expect(d.status?.observedGeneration).toBe(d.metadata.generation);

    await h.patchSpec('web', { replicas: 4 });
    await h.rollOut();
    expect(await h.sizes()).toEqual({ 'web:1': 4 });

    await h.patchSpec('web', { paused: null });
    await h.idle();
    d = await h.deployment('web');
    expect(['DeploymentResumed', 'NewReplicaSetCreated', 'ReplicaSetUpdated']).toContain(condition(d, 'Progressing')?.reason);
    await h.rollOut();
    expect(await h.sizes()).toEqual({ 'web:1': 0, 'web:2': 4 });
    d = await h.deployment('web');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });

  test('scaling during a rollout is shared out in proportion to the sets (leftover to the largest)', async () => {
    await h.create('web', { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    await h.rollOut();
    await h.setImage('web', 'web:2');
    await h.idle();
    h.hold.add(byImage(await h.replicaSets(), 'web:2')!.metadata.name);
    await h.settleReplicaSets();
    await h.idle();
    expect(await h.sizes()).toEqual({ 'web:1': 8, 'web:2': 5 });
    // 15 + 3 allowed, 13 there: 5 to add. Old: 8*18/13 = 11.08 -> +3; new: 5*18/13 = 6.92 -> +2.
    await h.patchSpec('web', { replicas: 15 });
    await h.idle();
    expect(await h.sizes()).toEqual({ 'web:1': 11, 'web:2': 7 });
    for (const rs of await h.replicaSets()) expect(rs.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/desired-replicas': '15', 'deployment.kubernetes.io/max-replicas': '18' });
    await h.settleReplicaSets();
    await h.idle();
    // Down to 5 (+3 = 8 allowed, 18 there: 10 to remove). Old: 11*8/18 = 4.89 -> -6; new: 7*8/18 = 3.11 -> -4.
    const [rs1, rs2] = [byImage(await h.replicaSets(), 'web:1')!.metadata.name, byImage(await h.replicaSets(), 'web:2')!.metadata.name];
    h.events.length = 0;
    await h.patchSpec('web', { replicas: 5 });
    await h.idle();
    expect(h.scalingMessages().slice(0, 2)).toEqual([`Scaled down replica set ${rs1} to 5 from 11`, `Scaled down replica set ${rs2} to 3 from 7`]);
  });
});

describe('progress deadline', () => {
  test('no progress within progressDeadlineSeconds: Progressing False ProgressDeadlineExceeded', async () => {
    await h.create('web', { replicas: 2, progressDeadlineSeconds: 60, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    await h.rollOut();
    await h.setImage('web', 'web:2');
    await h.idle();
    const rs2 = byImage(await h.replicaSets(), 'web:2')!;
    h.hold.add(rs2.metadata.name);
    await h.settleReplicaSets();
    await h.idle();
    let d = await h.deployment('web');
    expect(['NewReplicaSetCreated', 'ReplicaSetUpdated']).toContain(condition(d, 'Progressing')?.reason);
    await h.clock.advance(30_000);
    await h.idle();
    d = await h.deployment('web');
    expect(condition(d, 'Progressing')?.status).toBe('True');
    await h.clock.advance(35_000);
    await h.idle();
    d = await h.deployment('web');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rs2.metadata.name}" has timed out progressing.` });
    // Progress afterwards brings it back.
    h.hold.clear();
    await h.rollOut();
    d = await h.deployment('web');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });

  test('without minimum availability: Available False MinimumReplicasUnavailable', async () => {
    await h.create('web', { replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    await h.idle();
    h.hold.add((await h.replicaSets())[0].metadata.name);
    await h.settleReplicaSets();
    await h.idle();
    const d = await h.deployment('web');
    expect(condition(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    expect(d.status).toMatchObject({ replicas: 2, availableReplicas: 0, unavailableReplicas: 2 });
  });
});

describe('module', () => {
  test('registered as "deployment", on by default, workers ≥ 1', async () => {
    const { enabledControllers, validateOptions } = await import('../../../../plugins/controllers');
    expect(enabledControllers(['*'])).toContain('deployment');
    expect(enabledControllers(['*', '-deployment'])).not.toContain('deployment');
    expect(validateOptions({ settings: { deployment: { workers: 3 } } })).toEqual([]);
    expect(validateOptions({ settings: { deployment: { workers: 0 } } })[0].path).toEqual(['settings', 'deployment', 'workers']);
    expect(validateOptions({ settings: { deployment: { nope: 1 } } })).toHaveLength(1);
  });
});
