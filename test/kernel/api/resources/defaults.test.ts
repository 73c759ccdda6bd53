/**
 * What a real API server returns for minimal objects: every default written
 * out by hand from Kubernetes' SetDefaults_* functions and registry
 * strategies (system metadata aside).
 */
import type { KubeObject, StoredObject } from '../../../../kernel/api/types';
import { CREATED, context, create, meta, resource } from './harness';

const container = (extra: Record<string, unknown> = {}) => ({
  imagePullPolicy: 'IfNotPresent',
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  resources: {},
  ...extra,
});

/** The PodSpec defaults every template gets. */
const templateSpecDefaults = {
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};

function withoutSystemMetadata(object: StoredObject): KubeObject {
  const copy = JSON.parse(JSON.stringify(object)) as KubeObject;
  const m = copy.metadata as Record<string, unknown>;
  for (const k of ['uid', 'creationTimestamp', 'resourceVersion']) delete m[k];
  return copy;
}

interface Case {
  name: string;
  kind: string;
  group?: string;
  input: KubeObject;
  expected: KubeObject;
}

const cases: Case[] = [
  {
    name: 'Pod',
    kind: 'Pod',
    input: { apiVersion: 'v1', kind: 'Pod', metadata: meta('web'), spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    expected: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('web'),
      spec: {
        containers: [container({ name: 'web', image: 'nginx', imagePullPolicy: 'Always' })],
        dnsPolicy: 'ClusterFirst',
        enableServiceLinks: true,
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
      },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    },
  },
  {
    name: 'Pod with limits only, probes, ports and volumes',
    kind: 'Pod',
    input: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('api'),
      spec: {
        serviceAccount: 'builder',
        containers: [
          {
            name: 'api',
            image: 'registry.local:5000/team/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
            ports: [{ containerPort: 8080, name: 'http' }],
            resources: { limits: { cpu: 0.5, memory: '0.5Gi' } },
            livenessProbe: { httpGet: { port: 'http' } },
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 },
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
          },
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'api' } }, { name: 'scratch' }, { name: 'host', hostPath: { path: '/var/log' } }, { name: 'creds', secret: { secretName: 'api' } }],
      },
    },
    expected: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('api'),
      spec: {
        serviceAccount: 'builder',
        serviceAccountName: 'builder',
        containers: [
          container({
            name: 'api',
            image: 'registry.local:5000/team/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
            ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
            resources: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '500m', memory: '512Mi' } },
            livenessProbe: { httpGet: { port: 'http', path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
            readinessProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 },
            env: [{ name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
            volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
          }),
        ],
        volumes: [
          { name: 'cfg', configMap: { name: 'api', defaultMode: 420 } },
          { name: 'scratch', emptyDir: {} },
          { name: 'host', hostPath: { path: '/var/log', type: '' } },
          { name: 'creds', secret: { secretName: 'api', defaultMode: 420 } },
        ],
        ...templateSpecDefaults,
        enableServiceLinks: true,
      },
      status: { phase: 'Pending', qosClass: 'Guaranteed' },
    },
  },
  {
    name: 'Deployment',
    kind: 'Deployment',
    group: 'apps',
    input: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web'),
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
    },
    expected: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web'),
      spec: {
        replicas: 1,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container({ name: 'web', image: 'nginx:1.25' })], ...templateSpecDefaults } },
      },
      status: {},
    },
  },
  {
    name: 'Deployment with Recreate',
    kind: 'Deployment',
    group: 'apps',
    input: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('db'),
      spec: {
        replicas: 0,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } },
      },
    },
    expected: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('db'),
      spec: {
        replicas: 0,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: 'db' } },
        strategy: { type: 'Recreate' },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [container({ name: 'db', image: 'postgres:16' })], ...templateSpecDefaults } },
      },
      status: {},
    },
  },
  {
    name: 'ReplicaSet',
    kind: 'ReplicaSet',
    group: 'apps',
    input: {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: meta('web-5d4f'),
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
    },
    expected: {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: meta('web-5d4f'),
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container({ name: 'web', image: 'nginx:1.25' })], ...templateSpecDefaults } },
      },
      status: { replicas: 0 },
    },
  },
  {
    name: 'StatefulSet',
    kind: 'StatefulSet',
    group: 'apps',
    input: {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('db'),
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    },
    expected: {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('db'),
      spec: {
        serviceName: 'db',
        replicas: 1,
        revisionHistoryLimit: 10,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [container({ name: 'db', image: 'postgres:16' })], ...templateSpecDefaults } },
        volumeClaimTemplates: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
            status: { phase: 'Pending' },
          },
        ],
      },
      status: { replicas: 0, availableReplicas: 0 },
    },
  },
  {
    name: 'DaemonSet',
    kind: 'DaemonSet',
    group: 'apps',
    input: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('agent'),
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'agent:v1' }] } } },
    },
    expected: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('agent'),
      spec: {
        revisionHistoryLimit: 10,
        selector: { matchLabels: { app: 'agent' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [container({ name: 'agent', image: 'agent:v1' })], ...templateSpecDefaults } },
      },
      status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
    },
  },
  {
    name: 'Job (generated selector and labels)',
    kind: 'Job',
    group: 'batch',
    input: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('pi', { uid: 'c0ffee00-0000-4000-8000-000000000001' }),
      spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }], restartPolicy: 'Never' } } },
    },
    expected: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('pi', {
        labels: {
          'batch.kubernetes.io/controller-uid': 'c0ffee00-0000-4000-8000-000000000001',
          'batch.kubernetes.io/job-name': 'pi',
          'controller-uid': 'c0ffee00-0000-4000-8000-000000000001',
          'job-name': 'pi',
        },
      }),
      spec: {
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        completions: 1,
        parallelism: 1,
        podReplacementPolicy: 'TerminatingOrFailed',
        suspend: false,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'c0ffee00-0000-4000-8000-000000000001' } },
        template: {
          metadata: {
            labels: {
              'batch.kubernetes.io/controller-uid': 'c0ffee00-0000-4000-8000-000000000001',
              'batch.kubernetes.io/job-name': 'pi',
              'controller-uid': 'c0ffee00-0000-4000-8000-000000000001',
              'job-name': 'pi',
            },
          },
          spec: { containers: [container({ name: 'pi', image: 'perl:5.34' })], ...templateSpecDefaults, restartPolicy: 'Never' },
        },
      },
      status: {},
    },
  },
  {
    name: 'Job with parallelism only and its own labels',
    kind: 'Job',
    group: 'batch',
    input: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('work', { uid: 'u-2', labels: { team: 'data' } }),
      spec: { parallelism: 3, template: { metadata: { labels: { app: 'work' } }, spec: { containers: [{ name: 'w', image: 'busybox' }], restartPolicy: 'OnFailure' } } },
    },
    expected: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('work', { labels: { team: 'data' } }),
      spec: {
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        parallelism: 3,
        podReplacementPolicy: 'TerminatingOrFailed',
        suspend: false,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-2' } },
        template: {
          metadata: { labels: { app: 'work', 'batch.kubernetes.io/controller-uid': 'u-2', 'batch.kubernetes.io/job-name': 'work', 'controller-uid': 'u-2', 'job-name': 'work' } },
          spec: { containers: [container({ name: 'w', image: 'busybox', imagePullPolicy: 'Always' })], ...templateSpecDefaults, restartPolicy: 'OnFailure' },
        },
      },
      status: {},
    },
  },
  {
    name: 'CronJob (job template gets pod defaults only)',
    kind: 'CronJob',
    group: 'batch',
    input: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('hello'),
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox:1.36' }], restartPolicy: 'OnFailure' } } } } },
    },
    expected: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('hello'),
      spec: {
        schedule: '*/5 * * * *',
        concurrencyPolicy: 'Allow',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: { spec: { template: { spec: { containers: [container({ name: 'hello', image: 'busybox:1.36' })], ...templateSpecDefaults, restartPolicy: 'OnFailure' } } } },
      },
      status: {},
    },
  },
  {
    name: 'Service',
    kind: 'Service',
    input: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    expected: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('web'),
      spec: {
        type: 'ClusterIP',
        selector: { app: 'web' },
        ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
        sessionAffinity: 'None',
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        clusterIP: '10.96.0.2',
        clusterIPs: ['10.96.0.2'],
      },
      status: { loadBalancer: {} },
    },
  },
  {
    name: 'NodePort Service',
    kind: 'Service',
    input: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    expected: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('web'),
      spec: {
        type: 'NodePort',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http', nodePort: 30000 }],
        sessionAffinity: 'None',
        externalTrafficPolicy: 'Cluster',
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        clusterIP: '10.96.0.2',
        clusterIPs: ['10.96.0.2'],
      },
      status: { loadBalancer: {} },
    },
  },
  {
    name: 'headless Service without selector (dual-stack families, as Kubernetes gives them)',
    kind: 'Service',
    input: { apiVersion: 'v1', kind: 'Service', metadata: meta('peers'), spec: { clusterIP: 'None', ports: [{ port: 7000 }] } },
    expected: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('peers'),
      spec: {
        type: 'ClusterIP',
        ports: [{ port: 7000, protocol: 'TCP', targetPort: 7000 }],
        sessionAffinity: 'None',
        internalTrafficPolicy: 'Cluster',
        clusterIP: 'None',
        clusterIPs: ['None'],
        ipFamilies: ['IPv4', 'IPv6'],
        ipFamilyPolicy: 'RequireDualStack',
      },
      status: { loadBalancer: {} },
    },
  },
  {
    name: 'ExternalName Service',
    kind: 'Service',
    input: { apiVersion: 'v1', kind: 'Service', metadata: meta('db'), spec: { type: 'ExternalName', externalName: 'db.example.com' } },
    expected: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('db'),
      spec: { type: 'ExternalName', externalName: 'db.example.com', sessionAffinity: 'None' },
      status: { loadBalancer: {} },
    },
  },
  {
    name: 'Secret (stringData folded into data)',
    kind: 'Secret',
    input: { apiVersion: 'v1', kind: 'Secret', metadata: meta('creds'), stringData: { password: 'hunter2' }, data: { user: 'YWRtaW4=' } },
    expected: { apiVersion: 'v1', kind: 'Secret', metadata: meta('creds'), type: 'Opaque', data: { user: 'YWRtaW4=', password: 'aHVudGVyMg==' } },
  },
  {
    name: 'ConfigMap (nothing to default)',
    kind: 'ConfigMap',
    input: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { a: 'b' } },
    expected: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { a: 'b' } },
  },
  {
    name: 'Namespace',
    kind: 'Namespace',
    input: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    expected: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    },
  },
  {
    name: 'Node (status kept, allocatable from capacity)',
    kind: 'Node',
    input: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { capacity: { cpu: 4, memory: '8388608Ki', pods: '110' } } },
    expected: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
        nodeInfo: {
          machineID: '',
          systemUUID: '',
          bootID: '',
          kernelVersion: '',
          osImage: '',
          containerRuntimeVersion: '',
          kubeletVersion: '',
          kubeProxyVersion: '',
          operatingSystem: '',
          architecture: '',
        },
      },
    },
  },
  {
    name: 'PersistentVolume',
    kind: 'PersistentVolume',
    input: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } } },
    expected: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv1' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data', type: '' }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' },
      status: { phase: 'Pending', lastPhaseTransitionTime: '2024-05-01T12:00:00Z' },
    },
  },
  {
    name: 'PersistentVolumeClaim',
    kind: 'PersistentVolumeClaim',
    input: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1000Mi' } } } },
    expected: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('data'),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1000Mi' } }, volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    },
  },
  {
    name: 'Endpoints',
    kind: 'Endpoints',
    input: { apiVersion: 'v1', kind: 'Endpoints', metadata: meta('web'), subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 80 }] }] },
    expected: { apiVersion: 'v1', kind: 'Endpoints', metadata: meta('web'), subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 80, protocol: 'TCP' }] }] },
  },
  {
    name: 'EndpointSlice',
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    input: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta('web-abc'), addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'] }], ports: [{ port: 80 }] },
    expected: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: meta('web-abc'),
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.5'] }],
      ports: [{ port: 80, name: '', protocol: 'TCP' }],
    },
  },
  {
    name: 'PriorityClass',
    kind: 'PriorityClass',
    group: 'scheduling.k8s.io',
    input: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 },
    expected: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'PreemptLowerPriority' },
  },
  {
    name: 'Lease (nothing to default)',
    kind: 'Lease',
    group: 'coordination.k8s.io',
    input: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('n1'), spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } },
    expected: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('n1'), spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } },
  },
  {
    name: 'ServiceAccount (nothing to default)',
    kind: 'ServiceAccount',
    input: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('builder') },
    expected: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('builder') },
  },
];

describe('defaults of minimal objects', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const created = create(resource(c.kind, c.group ?? ''), c.input, context());
    expect(withoutSystemMetadata(created)).toEqual(c.expected);
  });

  test('system metadata is left to the server', () => {
    const created = create(resource('ConfigMap'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('x') });
    expect(created.metadata.creationTimestamp).toBe(CREATED);
  });
});

describe('defaulting is idempotent', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const def = resource(c.kind, c.group ?? '');
    const created = create(def, c.input, context());
    const again = JSON.parse(JSON.stringify(created)) as KubeObject;
    def.strategy?.defaults?.(again, context());
    expect(again).toEqual(created);
  });
});

describe('image pull policy', () => {
  test.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['docker.io/library/nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v2', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ['nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
    ['Nginx', 'IfNotPresent'],
    ['', 'IfNotPresent'],
  ])('%s → %s', (image, policy) => {
    const object = { spec: { containers: [{ name: 'c', image } as Record<string, unknown>] } };
    resource('Pod').strategy!.defaults!(object, context());
    expect(object.spec.containers[0].imagePullPolicy).toBe(policy);
  });
});

describe('pod QoS class on create', () => {
  const pod = (resources: Record<string, unknown>[]) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('p'),
    spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'busybox', resources: r })) },
  });
  test.each([
    ['no resources', 'BestEffort', [{}]],
    ['limits for cpu and memory', 'Guaranteed', [{ limits: { cpu: '1', memory: '1Gi' } }]],
    ['equal requests and limits', 'Guaranteed', [{ requests: { cpu: '1000m', memory: '1Gi' }, limits: { cpu: '1', memory: '1024Mi' } }]],
    ['requests below limits', 'Burstable', [{ requests: { cpu: '500m' }, limits: { cpu: '1', memory: '1Gi' } }]],
    ['only a cpu request', 'Burstable', [{ requests: { cpu: '100m' } }]],
    ['one guaranteed container, one best-effort', 'Burstable', [{ limits: { cpu: '1', memory: '1Gi' } }, {}]],
  ])('%s → %s', (_name, qos, resources) => {
    expect((create(resource('Pod'), pod(resources)).status as { qosClass: string }).qosClass).toBe(qos);
  });

  test('scheduling gates add the SchedulingGated condition', () => {
    const created = create(resource('Pod'), { ...pod([{}]), spec: { containers: [{ name: 'c', image: 'busybox' }], schedulingGates: [{ name: 'example.com/wait' }] } });
    expect(created.status).toEqual({
      phase: 'Pending',
      qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }],
    });
  });
});

describe('status on create', () => {
  test.each([
    ['Deployment', 'apps', {}],
    ['Job', 'batch', {}],
    ['CronJob', 'batch', {}],
  ])('%s drops a client-supplied status', (kind, group, status) => {
    const def = resource(kind, group);
    const input = JSON.parse(JSON.stringify(cases.find((c) => c.kind === kind)!.input)) as KubeObject;
    input.status = { replicas: 9, active: [{ name: 'x' }], succeeded: 3 };
    expect(create(def, input).status).toEqual(status);
  });

  test('a Pod is always Pending on create', () => {
    const created = create(resource('Pod'), { apiVersion: 'v1', kind: 'Pod', metadata: meta('p'), spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Running', podIP: '1.2.3.4' } });
    expect(created.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  test('a Node keeps the status it registers with', () => {
    const created = create(resource('Node'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    expect((created.status as { conditions: unknown[] }).conditions).toEqual([{ type: 'Ready', status: 'True' }]);
  });

  test('a Namespace is Active whatever the client says', () => {
    expect(create(resource('Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' }, status: { phase: 'Terminating' } }).status).toEqual({ phase: 'Active' });
  });
});
