/**
 * Images through the agent: imagePullPolicy Always / IfNotPresent / Never
 * with Kubernetes' events, ErrImagePull then ImagePullBackOff with the
 * 10 s-doubling back-off, ErrImageNeverPull, invalid names, and the rule for
 * nodes that cannot reach a registry: a present image is used, with a Warning.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import { effectivePullPolicy, goDuration } from '../../../plugins/node-agent/images';
import { harness, imageInfo, podRow, type Harness, type PullResult } from './support';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const STATUS = (pod: Pod) => podRow(pod, new Date(h.clock.now()))[1];

interface Case {
  name: string;
  image: string;
  policy?: 'Always' | 'IfNotPresent' | 'Never';
  present: boolean;
  pull?: PullResult;
  pulled: boolean;
  status: string;
  events: string[];
}

const SIZE = 'Image size: 1234 bytes.';
const cases: Case[] = [
  {
    name: 'Always (the default for busybox), present: pulled anyway',
    image: 'busybox',
    present: true,
    pulled: true,
    status: 'Running',
    events: ['Normal Pulling: Pulling image "busybox"', `Normal Pulled: Successfully pulled image "busybox" in 0s (0s including waiting). ${SIZE}`, 'Normal Created: Created container app', 'Normal Started: Started container app'],
  },
  {
    name: 'IfNotPresent (the default for a tag), present: not pulled',
    image: 'busybox:1.36',
    present: true,
    pulled: false,
    status: 'Running',
    events: ['Normal Pulled: Container image "busybox:1.36" already present on machine', 'Normal Created: Created container app', 'Normal Started: Started container app'],
  },
  {
    name: 'IfNotPresent, absent: pulled',
    image: 'busybox:1.36',
    present: false,
    pull: 'ok',
    pulled: true,
    status: 'Running',
    events: ['Normal Pulling: Pulling image "busybox:1.36"', `Normal Pulled: Successfully pulled image "busybox:1.36" in 0s (0s including waiting). ${SIZE}`, 'Normal Created: Created container app', 'Normal Started: Started container app'],
  },
  {
    name: 'Never, present',
    image: 'busybox:1.36',
    policy: 'Never',
    present: true,
    pulled: false,
    status: 'Running',
    events: ['Normal Pulled: Container image "busybox:1.36" already present on machine', 'Normal Created: Created container app', 'Normal Started: Started container app'],
  },
  {
    name: 'Never, absent: ErrImageNeverPull',
    image: 'busybox:1.36',
    policy: 'Never',
    present: false,
    pulled: false,
    status: 'ErrImageNeverPull',
    events: ['Warning ErrImageNeverPull: Container image "busybox:1.36" is not present with pull policy of Never', 'Warning Failed: Error: ErrImageNeverPull'],
  },
  {
    name: 'absent and not in the registry: ErrImagePull',
    image: 'nope:1.0',
    present: false,
    pull: 'notfound',
    pulled: true,
    status: 'ErrImagePull',
    events: ['Normal Pulling: Pulling image "nope:1.0"', 'Warning Failed: Failed to pull image "nope:1.0": failed to pull image "nope:1.0": not found: manifest unknown', 'Warning Failed: Error: ErrImagePull'],
  },
  {
    name: 'Always, present, registry unreachable: the local image is used, with a Warning',
    image: 'busybox',
    present: true,
    pull: 'unreachable',
    pulled: true,
    status: 'Running',
    events: [
      'Normal Pulling: Pulling image "busybox"',
      'Warning Pulled: Container image "busybox" already present on machine and used without pulling: the registry could not be reached (failed to pull image "busybox": registry unreachable: dial tcp: lookup registry-1.docker.io: no such host)',
      'Normal Created: Created container app',
      'Normal Started: Started container app',
    ],
  },
  {
    name: 'absent, registry unreachable: ErrImagePull',
    image: 'other:2.0',
    present: false,
    pull: 'unreachable',
    pulled: true,
    status: 'ErrImagePull',
    events: ['Normal Pulling: Pulling image "other:2.0"', 'Warning Failed: Failed to pull image "other:2.0": failed to pull image "other:2.0": registry unreachable: dial tcp: lookup registry-1.docker.io: no such host', 'Warning Failed: Error: ErrImagePull'],
  },
];

test.each(cases)('$name', async (c) => {
  h = await harness({ start: false });
  h.runtime.images.clear();
  const key = c.image.includes(':') ? c.image : `${c.image}:latest`;
  if (c.present) h.runtime.images.set(key, imageInfo(c.image));
  if (c.pull) h.runtime.pullResults.set(key, c.pull);
  await h.agent.start();
  await h.createPod('web', { containers: [{ name: 'app', image: c.image, ...(c.policy ? { imagePullPolicy: c.policy } : {}) }] });
  expect(h.runtime.pulls > 0).toBe(c.pulled);
  expect(STATUS(await h.pod('web'))).toBe(c.status);
  expect(await h.events('web')).toEqual(c.events);
});

test('ErrImagePull becomes ImagePullBackOff; pulls are retried after 10 s, 20 s, 40 s', async () => {
  h = await harness();
  h.runtime.pullResults.set('nope:1.0', 'notfound');
  await h.createPod('web', { containers: [{ name: 'app', image: 'nope:1.0' }] });
  expect(STATUS(await h.pod('web'))).toBe('ErrImagePull');
  await h.advance(1000);
  const pod = await h.pod('web');
  expect(STATUS(pod)).toBe('ImagePullBackOff');
  expect(pod.status!.containerStatuses![0].state!.waiting).toEqual({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1.0"' });
  expect(await h.events('web')).toEqual(expect.arrayContaining(['Normal BackOff: Back-off pulling image "nope:1.0"', 'Warning Failed: Error: ImagePullBackOff']));

  const pullTimes: number[] = [0];
  let pulls = h.runtime.pulls;
  for (let t = 1; t <= 80; t++) {
    await h.advance(1000);
    if (h.runtime.pulls > pulls) {
      pulls = h.runtime.pulls;
      pullTimes.push(t + 1);
    }
  }
  expect(pullTimes.slice(0, 4)).toEqual([0, 10, 30, 70]);
});

test('after the registry was unreachable, present images are used without asking it again for a while', async () => {
  h = await harness({ config: { unreachableRegistryCacheSeconds: 60 } });
  h.runtime.pullResults.set('busybox:latest', 'unreachable');
  await h.createPod('one', { containers: [{ name: 'app', image: 'busybox' }] });
  expect(h.runtime.pulls).toBe(1);
  await h.createPod('two', { containers: [{ name: 'app', image: 'busybox' }] });
  expect(h.runtime.pulls).toBe(1);
  expect((await h.events('two'))[0]).toBe('Warning Pulled: Container image "busybox" already present on machine and used without pulling: the registry docker.io could not be reached 0s ago');
  await h.advance(61_000);
  await h.createPod('three', { containers: [{ name: 'app', image: 'busybox' }] });
  expect(h.runtime.pulls).toBe(2);
});

test('an image name that cannot be parsed: InvalidImageName', async () => {
  h = await harness();
  await h.createPod('web', { containers: [{ name: 'app', image: 'Not/A:Valid:Name' }] });
  const pod = await h.pod('web');
  expect(STATUS(pod)).toBe('InvalidImageName');
  expect(await h.events('web')).toContain('Warning InspectFailed: Failed to apply default image tag "Not/A:Valid:Name": couldn\'t parse image reference "Not/A:Valid:Name": invalid reference format');
});

test.each([
  ['busybox', '', 'Always'],
  ['busybox:latest', '', 'Always'],
  ['busybox:1.36', '', 'IfNotPresent'],
  ['registry.local:5000/team/app', '', 'Always'],
  ['registry.local:5000/team/app:v2', '', 'IfNotPresent'],
  ['busybox@sha256:' + 'a'.repeat(64), '', 'IfNotPresent'],
  ['busybox', 'Never', 'Never'],
])('pull policy of %s with imagePullPolicy %j is %s', (image, policy, expected) => {
  expect(effectivePullPolicy({ name: 'c', image, imagePullPolicy: policy || undefined })).toBe(expected);
});

test.each([
  [0, '0s'],
  [512, '512ms'],
  [1234, '1.234s'],
  [10_000, '10s'],
  [80_000, '1m20s'],
  [300_000, '5m0s'],
  [3_725_500, '1h2m5.5s'],
])('goDuration(%d) = %s', (ms, text) => {
  expect(goDuration(ms)).toBe(text);
});
