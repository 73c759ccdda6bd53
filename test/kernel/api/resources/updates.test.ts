/**
 * Updates: what may change after creation, and the messages Kubernetes
 * gives for what may not.
 */
import type { KubeObject, StoredObject } from '../../../../kernel/api/types';
import { context, create, edit, meta, resource, tryUpdate, update } from './harness';

type Spec = Record<string, any>;
const specOf = (o: KubeObject) => o.spec as Spec;

const POD_UPDATE_PREFIX =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n';

describe('Pod', () => {
  const def = resource('Pod');
  const base = () =>
    create(def, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('web'),
      spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], activeDeadlineSeconds: 600 },
    });

  test('image, labels, added tolerations and a shorter deadline may change', () => {
    const old = base();
    const next = update(
      def,
      old,
      edit(old, (p) => {
        specOf(p).containers[0].image = 'nginx:1.26';
        specOf(p).tolerations.push({ key: 'b', operator: 'Exists' });
        specOf(p).tolerations[0].tolerationSeconds = 60;
        specOf(p).activeDeadlineSeconds = 300;
        p.metadata!.labels = { tier: 'web' };
      }),
    );
    expect(specOf(next).containers[0].image).toBe('nginx:1.26');
  });

  test('anything else is refused with Kubernetes’ long message and a diff', () => {
    const old = base();
    const { errors } = tryUpdate(def, old, edit(old, (p) => (specOf(p).restartPolicy = 'Never')));
    expect(errors).toHaveLength(1);
    expect(errors[0].startsWith(POD_UPDATE_PREFIX)).toBe(true);
    expect(errors[0]).toContain('- \trestartPolicy: "Always",');
    expect(errors[0]).toContain('+ \trestartPolicy: "Never",');
  });

  test.each([
    ['adding a container', (p: StoredObject) => specOf(p).containers.push({ name: 'x', image: 'x' }), ['spec.containers: Forbidden: pod updates may not add or remove containers']],
    ['emptying an image', (p: StoredObject) => (specOf(p).containers[0].image = ''), ['spec.containers[0].image: Required value']],
    ['padding an image', (p: StoredObject) => (specOf(p).containers[0].image = ' nginx'), ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']],
    ['removing a toleration', (p: StoredObject) => (specOf(p).tolerations = []), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']],
    ['a longer deadline', (p: StoredObject) => (specOf(p).activeDeadlineSeconds = 900), ['spec.activeDeadlineSeconds: Invalid value: 900: must be less than or equal to previous value']],
    ['dropping the deadline', (p: StoredObject) => delete specOf(p).activeDeadlineSeconds, ['spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value']],
  ])('%s', (_name, change, expected) => {
    const old = base();
    expect(tryUpdate(def, old, edit(old, change)).errors).toEqual(expected);
  });

  test('status is kept on main-resource updates', () => {
    const old = { ...base(), status: { phase: 'Running', podIP: '10.244.0.9' } } as StoredObject;
    const next = update(def, old, { ...edit(old, (p) => (specOf(p).containers[0].image = 'nginx:1.27')), status: { phase: 'Failed' } });
    expect(next.status).toEqual({ phase: 'Running', podIP: '10.244.0.9' });
  });
});

describe('apps/v1 selectors are immutable', () => {
  test.each([
    ['Deployment', 'deployment'],
    ['ReplicaSet', 'replicaset'],
    ['DaemonSet', 'daemonset'],
  ])('%s', (kind) => {
    const def = resource(kind, 'apps');
    const old = create(def, {
      apiVersion: 'apps/v1',
      kind,
      metadata: meta('web'),
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', v: '2' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    });
    expect(tryUpdate(def, old, edit(old, (d) => (specOf(d).selector = { matchLabels: { app: 'web', v: '2' } }))).errors).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
    // The template may change.
    expect(tryUpdate(def, old, edit(old, (d) => (specOf(d).template.spec.containers[0].image = 'nginx:2'))).errors).toEqual([]);
  });
});

describe('StatefulSet', () => {
  const def = resource('StatefulSet', 'apps');
  const old = () =>
    create(def, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('db'),
      spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'pg:15' }] } } },
    });

  test('replicas, template, update strategy and retention policy may change', () => {
    const o = old();
    expect(
      tryUpdate(
        def,
        o,
        edit(o, (s) => {
          specOf(s).replicas = 3;
          specOf(s).template.spec.containers[0].image = 'pg:16';
          specOf(s).updateStrategy = { type: 'OnDelete' };
          specOf(s).persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Retain' };
        }),
      ).errors,
    ).toEqual([]);
  });

  test.each([
    ['serviceName', (s: StoredObject) => (specOf(s).serviceName = 'other')],
    ['selector', (s: StoredObject) => (specOf(s).selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] })],
    ['volumeClaimTemplates', (s: StoredObject) => (specOf(s).volumeClaimTemplates = [{ metadata: { name: 'd' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }])],
  ])('%s may not', (_name, change) => {
    const o = old();
    expect(tryUpdate(def, o, edit(o, change)).errors).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });
});

describe('Job', () => {
  const def = resource('Job', 'batch');
  const old = (suspend = false) =>
    create(def, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('pi', { uid: 'u-1' }),
      spec: { suspend, template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } } },
    });

  test('the template is immutable', () => {
    const o = old();
    const { errors } = tryUpdate(def, o, edit(o, (j) => (specOf(j).template.spec.containers[0].image = 'perl:2')));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^spec\.template: Invalid value: \{.*"image":"perl:2".*\}: field is immutable$/);
  });

  test('selector and completions are immutable; parallelism and suspend are not', () => {
    const o = old();
    expect(
      tryUpdate(
        def,
        o,
        edit(o, (j) => {
          specOf(j).selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1', 'job-name': 'pi' } };
          specOf(j).completions = 5;
        }),
      ).errors,
    ).toEqual([
      'spec.completions: Invalid value: 5: field is immutable',
      'spec.selector: Invalid value: {"matchLabels":{"batch.kubernetes.io/controller-uid":"u-1","job-name":"pi"}}: field is immutable',
    ]);
    expect(tryUpdate(def, o, edit(o, (j) => ((specOf(j).parallelism = 4), (specOf(j).suspend = true)))).errors).toEqual([]);
  });

  test('a suspended job that never started may change scheduling directives', () => {
    const o = old(true);
    expect(tryUpdate(def, o, edit(o, (j) => (specOf(j).template.spec.nodeSelector = { disk: 'ssd' }))).errors).toEqual([]);
    const running = old(false);
    expect(tryUpdate(def, running, edit(running, (j) => (specOf(j).template.spec.nodeSelector = { disk: 'ssd' }))).errors).toHaveLength(1);
  });
});

describe('ConfigMap and Secret', () => {
  test('an immutable ConfigMap keeps its data', () => {
    const def = resource('ConfigMap');
    const old = create(def, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { a: '1' }, immutable: true });
    expect(tryUpdate(def, old, { ...old, data: { a: '2' }, immutable: false }).errors).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    expect(tryUpdate(def, old, { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } }).errors).toEqual([]);
  });

  test('a mutable ConfigMap may become immutable', () => {
    const def = resource('ConfigMap');
    const old = create(def, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { a: '1' } });
    expect(tryUpdate(def, old, { ...old, data: { a: '2' }, immutable: true }).errors).toEqual([]);
  });

  test('a Secret keeps its type, and its data when immutable', () => {
    const def = resource('Secret');
    const old = create(def, { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), data: { a: 'eA==' }, immutable: true });
    expect(tryUpdate(def, old, { ...old, type: 'kubernetes.io/basic-auth', data: { username: 'eA==' } }).errors).toEqual([
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('Service', () => {
  const def = resource('Service');

  test('the cluster IP may not change', () => {
    const ctx = context();
    const old = create(def, { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { ports: [{ port: 80 }] } }, ctx);
    expect(tryUpdate(def, old, edit(old, (s) => (specOf(s).clusterIP = '10.96.0.50')), ctx).errors).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.50"}: may not change once set']);
  });

  test('a replace without clusterIP keeps the allocated one (kubectl replace)', () => {
    const ctx = context();
    const old = create(def, { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { type: 'NodePort', ports: [{ name: 'http', port: 80 }] } }, ctx);
    const next = update(def, old, { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { type: 'NodePort', ports: [{ name: 'http', port: 80 }] } }, ctx);
    expect(specOf(next).clusterIPs).toEqual(specOf(old).clusterIPs);
    expect(specOf(next).ports[0].nodePort).toBe(specOf(old).ports[0].nodePort);
  });
});

describe('PersistentVolumeClaim', () => {
  const def = resource('PersistentVolumeClaim');
  const old = (bound: boolean) => {
    const created = create(def, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    if (bound) {
      specOf(created).volumeName = 'pv-1';
      created.status = { phase: 'Bound', capacity: { storage: '1Gi' } };
    }
    return created;
  };
  const resize = (size: string) => (p: StoredObject) => (specOf(p).resources.requests.storage = size);

  test('an unbound claim is immutable', () => {
    const o = old(false);
    const { errors } = tryUpdate(def, o, edit(o, resize('2Gi')));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^spec: Forbidden: spec is immutable after creation except resources\.requests and volumeAttributesClassName for bound claims\n/);
  });

  test('a bound claim may grow but not shrink', () => {
    const o = old(true);
    expect(tryUpdate(def, o, edit(o, resize('2Gi'))).errors).toEqual([]);
    expect(tryUpdate(def, o, edit(o, resize('512Mi'))).errors).toEqual(['spec.resources.requests.storage: Forbidden: field can not be less than previous value']);
  });

  test('the binder may set volumeName once', () => {
    const o = old(false);
    expect(tryUpdate(def, o, edit(o, (p) => (specOf(p).volumeName = 'pv-9'))).errors).toEqual([]);
  });
});

describe('PersistentVolume', () => {
  test('the volume source is immutable', () => {
    const def = resource('PersistentVolume');
    const old = create(def, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/a' } } });
    const { errors } = tryUpdate(def, old, edit(old, (p) => (specOf(p).hostPath.path = '/b')));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^spec\.persistentvolumesource: Forbidden: spec\.persistentvolumesource is immutable after creation\n/);
    expect(tryUpdate(def, old, edit(old, (p) => (specOf(p).persistentVolumeReclaimPolicy = 'Delete'))).errors).toEqual([]);
  });
});

describe('Namespace', () => {
  test('spec finalizers and status survive a main-resource update', () => {
    const def = resource('Namespace');
    const old = create(def, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    const next = update(def, old, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { env: 'dev' } }, spec: { finalizers: [] }, status: { phase: 'Terminating' } });
    expect(next.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(next.status).toEqual({ phase: 'Active' });
    expect(next.metadata.labels).toEqual({ env: 'dev', 'kubernetes.io/metadata.name': 'team' });
  });
});

describe('PriorityClass', () => {
  test('value and preemption policy are fixed', () => {
    const def = resource('PriorityClass', 'scheduling.k8s.io');
    const old = create(def, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
    expect(tryUpdate(def, old, { ...old, value: 2000, preemptionPolicy: 'Never' }).errors).toEqual([
      'value: Forbidden: may not be changed in an update.',
      'preemptionPolicy: Invalid value: "Never": field is immutable',
    ]);
    expect(tryUpdate(def, old, { ...old, description: 'for important things' }).errors).toEqual([]);
  });
});

describe('EndpointSlice and events.k8s.io Event', () => {
  test('an EndpointSlice keeps its address type', () => {
    const def = resource('EndpointSlice', 'discovery.k8s.io');
    const old = create(def, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta('s'), addressType: 'IPv4', endpoints: [] });
    expect(tryUpdate(def, old, { ...old, addressType: 'FQDN' }).errors).toEqual(['addressType: Invalid value: "FQDN": field is immutable']);
  });

  test('a recorded event only changes its series', () => {
    const def = resource('Event', 'events.k8s.io');
    const old = create(def, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: meta('web.1'),
      eventTime: '2024-05-01T11:00:00.000000Z',
      regarding: { kind: 'Pod', name: 'web', namespace: 'default' },
      reason: 'Started',
      note: 'Started container web',
      type: 'Normal',
      action: 'Start',
      reportingController: 'kubelet',
      reportingInstance: 'n1',
    });
    expect(tryUpdate(def, old, { ...old, series: { count: 2, lastObservedTime: '2024-05-01T11:05:00.000000Z' } }).errors).toEqual([]);
    expect(tryUpdate(def, old, { ...old, note: 'changed', reason: 'Pulled' }).errors).toEqual(['reason: Invalid value: "Pulled": field is immutable', 'message: Invalid value: "changed": field is immutable']);
  });
});
