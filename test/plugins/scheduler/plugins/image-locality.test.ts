import type { Container } from 'kubernetes-types/core/v1';
import { ImageLocality, normalizedImageName } from '../../../../plugins/scheduler/plugins/image-locality';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

const MB = 1024 * 1024;

describe('ImageLocality', () => {
  test.each([
    ['nginx', 'nginx:latest'],
    ['nginx:1.25', 'nginx:1.25'],
    ['gcr.io/project/app', 'gcr.io/project/app:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['localhost:5000/app:v2', 'localhost:5000/app:v2'],
    ['repo/app@sha256:0123abcd', 'repo/app@sha256:0123abcd'],
  ])('normalizedImageName(%j) = %j', (image, expected) => {
    expect(normalizedImageName(image)).toBe(expected);
  });

  // Three nodes. Scores: sum over the pod's containers of size * numNodes / totalNodes (truncated),
  // clamped to [23 MiB, 1000 MiB * containers], then 100 * (sum - 23 MiB) / (max - 23 MiB), integer division.
  const snapshot = snapshotOf([
    makeNode({
      name: 'n1',
      images: [
        { names: ['gcr.io/40:latest', 'gcr.io/40:v1'], sizeBytes: 40 * MB },
        { names: ['gcr.io/300:latest'], sizeBytes: 300 * MB },
        { names: ['shared:1.0'], sizeBytes: 600 * MB },
        { names: ['big:1'], sizeBytes: 3000 * MB },
        { names: ['repo/app@sha256:0123abcd'], sizeBytes: 300 * MB },
      ],
    }),
    makeNode({
      name: 'n2',
      images: [
        { names: ['gcr.io/250:latest'], sizeBytes: 250 * MB },
        { names: ['shared:1.0'], sizeBytes: 600 * MB },
        { names: ['big:1'], sizeBytes: 3000 * MB },
        { names: ['docker.io/library/nginx:1.25'], sizeBytes: 500 * MB },
      ],
    }),
    makeNode({
      name: 'n3',
      images: [
        { names: ['gcr.io/2000:latest'], sizeBytes: 2000 * MB },
        { names: ['shared:1.0'], sizeBytes: 600 * MB },
        { names: ['big:1'], sizeBytes: 3000 * MB },
      ],
    }),
  ]);
  const containers = (...images: string[]): Container[] => images.map((image, i) => ({ name: `c${i}`, image }));

  test.each<[string, Container[], Container[], Record<string, number>]>([
    [
      'two containers, each image on one node',
      containers('gcr.io/40', 'gcr.io/250'),
      [],
      {
        n1: 0, // 40 MiB / 3 = 13981013 < 23 MiB
        n2: 3, // 250 MiB / 3 = 87381333: 100 * (87381333 - 24117248) / (2000 MiB - 23 MiB) = 3.05
        n3: 0,
      },
    ],
    ['one container, 300 MiB on one node of three', containers('gcr.io/300:latest'), [], { n1: 7, n2: 0, n3: 0 }], // 104857600: 100 * 80740352 / 1024458752 = 7.88
    ['one container, 2000 MiB on one node of three', containers('gcr.io/2000'), [], { n1: 0, n2: 0, n3: 65 }], // 699050666 -> 65.88
    ['an image on every node counts its whole size', containers('shared:1.0'), [], { n1: 59, n2: 59, n3: 59 }], // 629145600 -> 59.06
    ['above the maximum: 100', containers('big:1'), [], { n1: 100, n2: 100, n3: 100 }],
    ['the same image twice counts twice', containers('shared:1.0', 'shared:1.0'), [], { n1: 59, n2: 59, n3: 59 }], // 1200 MiB of 2000 MiB -> 59.53
    ['init containers count, also towards the maximum', containers('busybox'), containers('gcr.io/300'), { n1: 3, n2: 0, n3: 0 }], // 104857600 of 2000 MiB -> 3.89
    ['another tag of an image the node has does not match', containers('gcr.io/300:v9'), [], { n1: 0, n2: 0, n3: 0 }],
    ['a digest is matched as reported', containers('repo/app@sha256:0123abcd'), [], { n1: 7, n2: 0, n3: 0 }],
    ['no registry normalization: nginx:1.25 is not docker.io/library/nginx:1.25', containers('nginx:1.25'), [], { n1: 0, n2: 0, n3: 0 }],
    ['no image on any node', containers('busybox'), [], { n1: 0, n2: 0, n3: 0 }],
  ])('%s', async (_name, apps, inits, expected) => {
    const h = new PluginHarness(ImageLocality);
    const pod = makePod({ name: 'p', containers: apps, initContainers: inits.length ? inits : undefined });
    expect(await h.scoreAll(pod, snapshot)).toEqual(expected);
  });

  test('the spread counts all nodes of the cluster, not only the feasible ones', async () => {
    const h = new PluginHarness(ImageLocality);
    // Scoring n1 alone still divides by the 3 nodes of the snapshot: 300 MiB / 3 -> 7 (with 1 node it would be 28).
    expect(await h.scoreAll(makePod({ name: 'p', containers: containers('gcr.io/300') }), snapshot, [snapshot.get('n1')!])).toEqual({ n1: 7 });
  });
});
