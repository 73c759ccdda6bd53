/**
 * Server-side printing: HumanDuration, the pod STATUS/RESTARTS logic, and
 * each type's columns and cells as `kubectl get` shows them.
 */
import type { TablePrinter } from '../../../../kernel/api/resource';
import { builtinResources } from '../../../../kernel/api/resources';
import { defaultTablePrinter, humanDuration } from '../../../../kernel/api/resources/printing';
import type { StoredObject } from '../../../../kernel/api/types';
import { NOW, resource } from './harness';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

describe('HumanDuration', () => {
  test.each([
    [-5 * S, '<invalid>'],
    [-1.5 * S, '0s'],
    [0, '0s'],
    [5 * S, '5s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [2 * M + 3 * S, '2m3s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 4 * M, '3h4m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [400 * D, '400d'],
    [2 * Y, '2y'],
    [2 * Y + 45 * D, '2y45d'],
    [7 * Y + 364 * D, '7y364d'],
    [8 * Y + 100 * D, '8y'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

function stored(object: Record<string, unknown>): StoredObject {
  const m = (object.metadata ?? {}) as Record<string, unknown>;
  return { apiVersion: 'v1', kind: 'X', ...object, metadata: { name: 'x', uid: 'u', resourceVersion: '1', creationTimestamp: ago(5 * M), ...m } } as StoredObject;
}

function row(printer: TablePrinter | undefined, object: Record<string, unknown>): unknown[] {
  return printer!.cells(stored(object), NOW);
}

function columns(printer: TablePrinter | undefined): string[] {
  return printer!.columns.map((c) => (c.priority > 0 ? `(${c.name})` : c.name));
}

describe('pods', () => {
  const printer = resource('Pod').strategy!.table;
  const spec = (n = 1, extra: Record<string, unknown> = {}) => ({ containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: 'img' })), ...extra });
  const running = (name: string, restarts = 0, extra: Record<string, unknown> = {}) => ({ name, ready: true, restartCount: restarts, state: { running: { startedAt: ago(M) } }, ...extra });

  test('columns', () => {
    expect(columns(printer)).toEqual(['Ready', 'Status', 'Restarts', 'Age', '(IP)', '(Node)', '(Nominated Node)', '(Readiness Gates)']);
  });

  test.each<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, unknown[]]>([
    ['pending', spec(), { phase: 'Pending' }, {}, ['0/1', 'Pending', '0']],
    ['running', spec(2), { phase: 'Running', containerStatuses: [running('c0'), running('c1')] }, {}, ['2/2', 'Running', '0']],
    [
      'restarts with the last restart time',
      spec(),
      { phase: 'Running', containerStatuses: [running('c0', 3, { lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * M) } } })] },
      {},
      ['1/1', 'Running', '3 (2m ago)'],
    ],
    ['crash loop', spec(), { phase: 'Running', containerStatuses: [{ name: 'c0', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(30 * S) } } }] }, {}, ['0/1', 'CrashLoopBackOff', '5 (30s ago)']],
    ['image pull', spec(), { phase: 'Pending', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] }, {}, ['0/1', 'ErrImagePull', '0']],
    ['completed', spec(), { phase: 'Succeeded', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, {}, ['0/1', 'Completed', '0']],
    ['error', spec(), { phase: 'Failed', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }] }, {}, ['0/1', 'Error', '0']],
    ['exit code without a reason', spec(), { phase: 'Failed', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }] }, {}, ['0/1', 'ExitCode:137', '0']],
    ['signal without a reason', spec(), { phase: 'Failed', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, signal: 9 } } }] }, {}, ['0/1', 'Signal:9', '0']],
    [
      'completed next to a running container while ready',
      spec(2),
      { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running('c1')] },
      {},
      ['1/2', 'Running', '0'],
    ],
    [
      'completed next to a running container while not ready',
      spec(2),
      { phase: 'Running', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running('c1')] },
      {},
      ['1/2', 'NotReady', '0'],
    ],
    [
      'init containers running',
      spec(1, { initContainers: [{ name: 'i0', image: 'x' }, { name: 'i1', image: 'x' }] }),
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i0', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'i1', ready: false, restartCount: 0, state: { running: {} } },
        ],
        containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      },
      {},
      ['0/1', 'Init:1/2', '0'],
    ],
    [
      'init container crash loop',
      spec(1, { initContainers: [{ name: 'i0', image: 'x' }] }),
      { phase: 'Pending', initContainerStatuses: [{ name: 'i0', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * S) } } }] },
      {},
      ['0/1', 'Init:CrashLoopBackOff', '4 (10s ago)'],
    ],
    ['init container failed', spec(1, { initContainers: [{ name: 'i0', image: 'x' }] }), { phase: 'Failed', initContainerStatuses: [{ name: 'i0', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } }] }, {}, ['0/1', 'Init:ExitCode:3', '0']],
    [
      'initialised, main containers starting',
      spec(1, { initContainers: [{ name: 'i0', image: 'x' }] }),
      {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'i0', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      },
      {},
      ['0/1', 'PodInitializing', '0'],
    ],
    [
      'a started sidecar counts towards READY',
      spec(1, { initContainers: [{ name: 'proxy', image: 'x', restartPolicy: 'Always' }] }),
      { phase: 'Running', initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} } }], containerStatuses: [running('c0')], conditions: [{ type: 'Initialized', status: 'True' }] },
      {},
      ['2/2', 'Running', '1'],
    ],
    ['terminating', spec(), { phase: 'Running', containerStatuses: [running('c0')] }, { deletionTimestamp: ago(S) }, ['1/1', 'Terminating', '0']],
    ['a finished pod being deleted keeps its status', spec(), { phase: 'Succeeded', containerStatuses: [{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, { deletionTimestamp: ago(S) }, ['0/1', 'Completed', '0']],
    ['node lost', spec(), { phase: 'Running', reason: 'NodeLost' }, {}, ['0/1', 'NodeLost', '0']],
    ['node lost while deleting', spec(), { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(S) }, ['0/1', 'Unknown', '0']],
    ['evicted', spec(), { phase: 'Failed', reason: 'Evicted' }, {}, ['0/1', 'Evicted', '0']],
    ['scheduling gated', spec(), { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }, {}, ['0/1', 'SchedulingGated', '0']],
  ])('%s', (_name, podSpec, status, metadata, expected) => {
    expect(row(printer, { spec: podSpec, status, metadata }).slice(0, 3)).toEqual(expected);
  });

  test('age and the wide columns', () => {
    expect(row(printer, { spec: spec(), status: { phase: 'Pending' } }).slice(3)).toEqual(['5m', '<none>', '<none>', '<none>', '<none>']);
    expect(
      row(printer, {
        spec: { ...spec(), nodeName: 'n1', readinessGates: [{ conditionType: 'example.com/ready' }, { conditionType: 'example.com/lb' }] },
        status: { phase: 'Running', podIPs: [{ ip: '10.244.1.7' }], nominatedNodeName: 'n2', conditions: [{ type: 'example.com/ready', status: 'True' }] },
      }).slice(3),
    ).toEqual(['5m', '10.244.1.7', 'n1', 'n2', '1/2']);
  });
});

describe('workloads', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'log', image: 'fluent-bit' }] } };

  test('deployments', () => {
    const printer = resource('Deployment', 'apps').strategy!.table;
    expect(columns(printer)).toEqual(['Ready', 'Up-to-date', 'Available', 'Age', '(Containers)', '(Images)', '(Selector)']);
    expect(
      row(printer, {
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, template },
        status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
      }),
    ).toEqual(['2/3', 3, 2, '5m', 'web,log', 'nginx:1.25,fluent-bit', 'app=web,tier in (api,web)']);
  });

  test('replicasets', () => {
    const printer = resource('ReplicaSet', 'apps').strategy!.table;
    expect(columns(printer)).toEqual(['Desired', 'Current', 'Ready', 'Age', '(Containers)', '(Images)', '(Selector)']);
    expect(row(printer, { spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 2, readyReplicas: 1 } })).toEqual([2, 2, 1, '5m', 'web,log', 'nginx:1.25,fluent-bit', 'app=web']);
  });

  test('statefulsets', () => {
    const printer = resource('StatefulSet', 'apps').strategy!.table;
    expect(columns(printer)).toEqual(['Ready', 'Age', '(Containers)', '(Images)']);
    expect(row(printer, { spec: { replicas: 3, template }, status: { readyReplicas: 1 } })).toEqual(['1/3', '5m', 'web,log', 'nginx:1.25,fluent-bit']);
  });

  test('daemonsets', () => {
    const printer = resource('DaemonSet', 'apps').strategy!.table;
    expect(columns(printer)).toEqual(['Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', '(Containers)', '(Images)', '(Selector)']);
    expect(
      row(printer, {
        spec: { selector: { matchLabels: { app: 'agent' } }, template: { ...template, spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
        status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
      }),
    ).toEqual([3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '5m', 'web,log', 'nginx:1.25,fluent-bit', 'app=agent']);
    expect(row(printer, { spec: { template }, status: {} })[5]).toBe('<none>');
  });

  test('controllerrevisions', () => {
    const printer = resource('ControllerRevision', 'apps').strategy!.table;
    expect(row(printer, { revision: 2, metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u', controller: true }] } })).toEqual(['statefulset.apps/db', 2, '5m']);
  });
});

describe('batch', () => {
  const jobPrinter = resource('Job', 'batch').strategy!.table;

  test('job columns', () => {
    expect(columns(jobPrinter)).toEqual(['Status', 'Completions', 'Duration', 'Age', '(Containers)', '(Images)', '(Selector)']);
  });

  test.each<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, unknown[]]>([
    ['not started', { completions: 1, parallelism: 1 }, {}, {}, ['Running', '0/1', '']],
    ['running', { completions: 3, parallelism: 1 }, { startTime: ago(90 * S), succeeded: 1 }, {}, ['Running', '1/3', '90s']],
    ['complete', { completions: 1 }, { startTime: ago(4 * M), completionTime: ago(M), succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }, {}, ['Complete', '1/1', '3m']],
    ['failed', { completions: 1 }, { startTime: ago(2 * M), conditions: [{ type: 'Failed', status: 'True' }] }, {}, ['Failed', '0/1', '2m']],
    ['suspended', { completions: 1 }, { conditions: [{ type: 'Suspended', status: 'True' }] }, {}, ['Suspended', '0/1', '']],
    ['terminating', { completions: 1 }, {}, { deletionTimestamp: ago(S) }, ['Terminating', '0/1', '']],
    ['work queue with parallelism', { parallelism: 4 }, { succeeded: 2 }, {}, ['Running', '2/1 of 4', '']],
  ])('job %s', (_name, spec, status, metadata, expected) => {
    expect(row(jobPrinter, { spec, status, metadata }).slice(0, 3)).toEqual(expected);
  });

  test('cronjobs', () => {
    const printer = resource('CronJob', 'batch').strategy!.table;
    expect(columns(printer)).toEqual(['Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', '(Containers)', '(Images)', '(Selector)']);
    expect(
      row(printer, {
        spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox' }] } } } } },
        status: { active: [{ name: 'hello-1' }], lastScheduleTime: ago(2 * M) },
      }),
    ).toEqual(['*/5 * * * *', '<none>', 'False', 1, '2m', '5m', 'hello', 'busybox', '<none>']);
  });
});

describe('core types', () => {
  test('services', () => {
    const printer = resource('Service').strategy!.table;
    expect(columns(printer)).toEqual(['Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', '(Selector)']);
    expect(row(printer, { spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { k8s: 'dns' } } })).toEqual([
      'ClusterIP',
      '10.96.0.10',
      '<none>',
      '53/UDP,53/TCP',
      '5m',
      'k8s=dns',
    ]);
    expect(row(printer, { spec: { type: 'NodePort', clusterIPs: ['10.96.5.5'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } }).slice(0, 4)).toEqual(['NodePort', '10.96.5.5', '<none>', '80:30080/TCP']);
    expect(row(printer, { spec: { type: 'LoadBalancer', clusterIPs: ['10.96.5.6'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }, status: { loadBalancer: {} } })[2]).toBe('<pending>');
    expect(row(printer, { spec: { type: 'LoadBalancer', clusterIPs: ['10.96.5.6'], ports: [] }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }] } } }).slice(2, 4)).toEqual([
      '203.0.113.9,lb.example.com',
      '<none>',
    ]);
    expect(row(printer, { spec: { type: 'ExternalName', externalName: 'db.example.com' } }).slice(0, 4)).toEqual(['ExternalName', '<none>', 'db.example.com', '<none>']);
    expect(row(printer, { spec: { type: 'ClusterIP', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }] } })[1]).toBe('None');
  });

  test('endpoints', () => {
    const printer = resource('Endpoints').strategy!.table;
    expect(row(printer, {})).toEqual(['<none>', '5m']);
    expect(row(printer, { subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }] })[0]).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
    expect(row(printer, { subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }] })[0]).toBe('[fd00::1]:80');
  });

  test('configmaps, secrets, service accounts, namespaces', () => {
    expect(row(resource('ConfigMap').strategy!.table, { data: { a: '1', b: '2' }, binaryData: { c: 'eA==' } })).toEqual([3, '5m']);
    expect(columns(resource('Secret').strategy!.table)).toEqual(['Type', 'Data', 'Age']);
    expect(row(resource('Secret').strategy!.table, { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } })).toEqual(['kubernetes.io/tls', 2, '5m']);
    expect(row(resource('ServiceAccount').strategy!.table, {})).toEqual([0, '5m']);
    expect(row(resource('Namespace').strategy!.table, { status: { phase: 'Terminating' } })).toEqual(['Terminating', '5m']);
  });

  test('nodes', () => {
    const printer = resource('Node').strategy!.table;
    expect(columns(printer)).toEqual(['Status', 'Roles', 'Age', 'Version', '(Internal-IP)', '(External-IP)', '(OS-Image)', '(Kernel-Version)', '(Container-Runtime)']);
    expect(
      row(printer, {
        metadata: { labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': 'true' } },
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'n1' }],
          nodeInfo: { kubeletVersion: 'v1.30.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'docker://24.0.5' },
        },
      }),
    ).toEqual(['Ready,SchedulingDisabled', 'control-plane,worker', '5m', 'v1.30.0', '192.168.1.10', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', 'docker://24.0.5']);
    expect(row(printer, { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }).slice(0, 2)).toEqual(['NotReady', '<none>']);
    expect(row(printer, { status: {} }).slice(4)).toEqual(['<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
    expect(row(printer, {})[0]).toBe('Unknown');
  });

  test('persistent volumes and claims', () => {
    const pv = resource('PersistentVolume').strategy!.table;
    expect(columns(pv)).toEqual(['Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', '(VolumeMode)']);
    expect(
      row(pv, {
        spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local', volumeMode: 'Filesystem' },
        status: { phase: 'Bound' },
      }),
    ).toEqual(['10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local', '<unset>', '', '5m', 'Filesystem']);
    const pvc = resource('PersistentVolumeClaim').strategy!.table;
    expect(columns(pvc)).toEqual(['Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', '(VolumeMode)']);
    expect(row(pvc, { spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local', volumeMode: 'Filesystem' }, status: { phase: 'Pending' } })).toEqual(['Pending', '', '', '', 'local', '<unset>', '5m', 'Filesystem']);
    expect(row(pvc, { spec: { volumeName: 'pv1' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } }).slice(0, 4)).toEqual(['Bound', 'pv1', '1Gi', 'RWO']);
  });

  test('events (NAME is last and wide, not first)', () => {
    const printer = resource('Event').strategy!.table!;
    expect(printer.ownsNameColumn).toBe(true);
    expect(columns(printer)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', '(Subobject)', '(Source)', 'Message', '(First Seen)', '(Count)', '(Name)']);
    expect(
      row(printer, {
        metadata: { name: 'web.17c1' },
        involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
        reason: 'Pulled',
        message: ' Successfully pulled image "nginx" \n',
        type: 'Normal',
        source: { component: 'kubelet', host: 'n1' },
        firstTimestamp: ago(10 * M),
        lastTimestamp: ago(30 * S),
        count: 4,
      }),
    ).toEqual(['30s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{web}', 'kubelet, n1', 'Successfully pulled image "nginx"', '10m', 4, 'web.17c1']);
    const v1 = resource('Event', 'events.k8s.io').strategy!.table;
    expect(
      row(v1, {
        metadata: { name: 'web.1' },
        regarding: { kind: 'Deployment', name: 'web' },
        note: 'Scaled up',
        reason: 'ScalingReplicaSet',
        type: 'Normal',
        eventTime: ago(2 * M),
        reportingController: 'deployment-controller',
      }),
    ).toEqual(['2m', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up', '2m', 1, 'web.1']);
  });

  test('leases, endpoint slices, priority classes', () => {
    expect(row(resource('Lease', 'coordination.k8s.io').strategy!.table, { spec: { holderIdentity: 'n1' } })).toEqual(['n1', '5m']);
    const slices = resource('EndpointSlice', 'discovery.k8s.io').strategy!.table;
    expect(columns(slices)).toEqual(['AddressType', 'Ports', 'Endpoints', 'Age']);
    expect(row(slices, { addressType: 'IPv4', ports: [{ port: 80 }, { name: 'h' }, {}], endpoints: [{ addresses: ['10.0.0.1', '10.0.0.2'] }, { addresses: ['10.0.0.3', '10.0.0.4', '10.0.0.5'] }] })).toEqual([
      'IPv4',
      '80,h,*',
      '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...',
      '5m',
    ]);
    expect(row(slices, { addressType: 'IPv4' }).slice(1, 3)).toEqual(['<unset>', '<unset>']);
    expect(row(resource('PriorityClass', 'scheduling.k8s.io').strategy!.table, { value: 1000, globalDefault: true, preemptionPolicy: 'Never' })).toEqual([1000, true, '5m', 'Never']);
  });
});

describe('default table', () => {
  test('Created At is a date holding the creation timestamp', () => {
    expect(defaultTablePrinter.columns).toEqual([expect.objectContaining({ name: 'Created At', type: 'date', priority: 0 })]);
    expect(row(defaultTablePrinter, { metadata: { creationTimestamp: '2024-01-02T03:04:05Z' } })).toEqual(['2024-01-02T03:04:05Z']);
  });

  test('every built-in type has a printer, every row matches its columns', () => {
    for (const def of builtinResources()) {
      const printer = def.strategy?.table;
      expect(printer).toBeDefined();
      expect(printer!.cells(stored({}), NOW)).toHaveLength(printer!.columns.length);
    }
  });
});
