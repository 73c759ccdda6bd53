/**
 * Validation of new objects, type by type: each case is a bad object and the
 * exact field errors Kubernetes answers it with (what kubectl prints after
 * `The <Kind> "<name>" is invalid:`).
 */
import type { KubeObject } from '../../../../kernel/api/types';
import { meta, resource, tryCreate } from './harness';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

function pod(spec: Record<string, unknown>, name = 'web'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta(name), spec };
}

function deployment(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web'), spec };
}

const template = (labels: Record<string, string> | undefined, podSpec: Record<string, unknown> = { containers: [{ name: 'web', image: 'nginx' }] }) => ({
  metadata: labels ? { labels } : {},
  spec: podSpec,
});

interface Case {
  name: string;
  kind: string;
  group?: string;
  object: KubeObject;
  errors: string[];
}

const cases: Case[] = [
  // ---------------------------------------------------------------- Pod
  { name: 'pod without containers', kind: 'Pod', object: pod({}), errors: ['spec.containers: Required value'] },
  {
    name: 'pod container name and image',
    kind: 'Pod',
    object: pod({ containers: [{ name: 'Web' }] }),
    errors: [`spec.containers[0].name: Invalid value: "Web": ${LABEL_MSG}`, 'spec.containers[0].image: Required value'],
  },
  {
    name: 'duplicate container names, also across init containers',
    kind: 'Pod',
    object: pod({ containers: [{ name: 'web', image: 'a' }, { name: 'web', image: 'b' }], initContainers: [{ name: 'web', image: 'c' }] }),
    errors: ['spec.containers[1].name: Duplicate value: "web"', 'spec.initContainers[0].name: Duplicate value: "web"'],
  },
  {
    name: 'container ports',
    kind: 'Pod',
    object: pod({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [
            { name: 'http', containerPort: 70000 },
            { name: 'http', containerPort: 80, protocol: 'HTTP' },
            { containerPort: 0, hostPort: 8080 },
          ],
        },
        { name: 'side', image: 'nginx', ports: [{ containerPort: 9090, hostPort: 8080 }] },
      ],
    }),
    errors: [
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].name: Duplicate value: "http"',
      'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].ports[2].containerPort: Required value',
      'spec.containers[1].ports[0].hostPort: Duplicate value: "/TCP/8080"',
    ],
  },
  {
    name: 'restart and DNS policies',
    kind: 'Pod',
    object: pod({ containers: [{ name: 'web', image: 'nginx' }], restartPolicy: 'Sometimes', dnsPolicy: 'Cluster' }),
    errors: [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ],
  },
  {
    name: 'requests above limits',
    kind: 'Pod',
    object: pod({ containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1' } } }] }),
    errors: ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
  },
  {
    name: 'unknown and malformed resources',
    kind: 'Pod',
    object: pod({ containers: [{ name: 'web', image: 'nginx', resources: { requests: { gpu: '1', memory: '1GB' } } }] }),
    errors: [
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      "spec.containers[0].resources.requests[memory]: Invalid value: \"1GB\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
  },
  {
    name: 'extended resources are whole and not overcommitted',
    kind: 'Pod',
    object: pod({ containers: [{ name: 'web', image: 'nginx', resources: { requests: { 'example.com/gpu': '0.5' } } }] }),
    errors: [
      // Quantities are canonical by the time they are validated, as in Kubernetes.
      'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer',
      'spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources',
    ],
  },
  {
    name: 'volumes and mounts',
    kind: 'Pod',
    object: pod({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'cfg', mountPath: '/data' },
          ],
        },
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'cfg', defaultMode: 1000 } },
        { name: 'two', emptyDir: {}, hostPath: { path: '/x' } },
        { name: 'creds', secret: {} },
      ],
    }),
    errors: [
      'spec.volumes[0].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive',
      'spec.volumes[1].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[2].secret.secretName: Required value',
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
      'spec.containers[0].volumeMounts[1].name: Not found: "cfg"',
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
    ],
  },
  {
    name: 'probes',
    kind: 'Pod',
    object: pod({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          livenessProbe: { successThreshold: 2 },
          readinessProbe: { httpGet: { port: 'HTTP' }, exec: { command: ['true'] } },
        },
      ],
      initContainers: [{ name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['true'] } } }],
    }),
    errors: [
      'spec.containers[0].livenessProbe: Required value: must specify a handler type',
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.containers[0].readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type',
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ],
  },
  {
    name: 'env',
    kind: 'Pod',
    object: pod({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          env: [{ name: '1X' }, { name: 'A', value: 'x', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }],
        },
      ],
    }),
    errors: [
      `spec.containers[0].env[0].name: Invalid value: "1X": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
      'spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.hostname": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
    ],
  },
  {
    name: 'tolerations and deadline',
    kind: 'Pod',
    object: pod({ containers: [{ name: 'web', image: 'nginx' }], activeDeadlineSeconds: 0, tolerations: [{ operator: 'Equal', value: 'x' }, { key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }] }),
    errors: [
      'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      "spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
    ],
  },
  {
    name: 'hostNetwork pods must use hostPort = containerPort',
    kind: 'Pod',
    object: pod({ hostNetwork: true, containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
    errors: ['spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true'],
  },
  // ---------------------------------------------------------------- apps
  {
    name: 'deployment selector does not match template labels',
    kind: 'Deployment',
    group: 'apps',
    object: deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'other' }) }),
    errors: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`'],
  },
  {
    name: 'deployment without selector',
    kind: 'Deployment',
    group: 'apps',
    object: deployment({ template: template({ app: 'web' }) }),
    errors: ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
  },
  {
    name: 'deployment with an empty selector',
    kind: 'Deployment',
    group: 'apps',
    object: deployment({ selector: {}, template: template({ app: 'web' }) }),
    errors: ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
  },
  {
    name: 'deployment template pods must restart Always',
    kind: 'Deployment',
    group: 'apps',
    object: deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }, { containers: [{ name: 'web', image: 'nginx' }], restartPolicy: 'Never', activeDeadlineSeconds: 10 }) }),
    errors: [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    ],
  },
  {
    name: 'deployment rolling update numbers',
    kind: 'Deployment',
    group: 'apps',
    object: deployment({
      replicas: -1,
      selector: { matchLabels: { app: 'web' } },
      template: template({ app: 'web' }),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } },
      minReadySeconds: 700,
    }),
    errors: [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
      'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds',
    ],
  },
  {
    name: 'deployment percentages',
    kind: 'Deployment',
    group: 'apps',
    object: deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }), strategy: { rollingUpdate: { maxUnavailable: '120%', maxSurge: 'lots' } } }),
    errors: [
      "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"lots\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
    ],
  },
  {
    name: 'deployment template pod spec is validated',
    kind: 'Deployment',
    group: 'apps',
    object: deployment({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web', bad: '-x-' }, { containers: [{ name: 'web' }] }) }),
    errors: [
      "spec.template.labels: Invalid value: \"-x-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      'spec.template.spec.containers[0].image: Required value',
    ],
  },
  {
    name: 'replicaset shares the deployment wording',
    kind: 'ReplicaSet',
    group: 'apps',
    object: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('rs'), spec: { selector: { matchLabels: {} }, template: template({ app: 'web' }) } },
    errors: ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
  },
  {
    name: 'statefulset policies (its template pod spec is not validated, as in Kubernetes)',
    kind: 'StatefulSet',
    group: 'apps',
    object: {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('db'),
      spec: {
        podManagementPolicy: 'Serial',
        updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } },
        selector: { matchLabels: { app: 'db' } },
        template: template({ app: 'db' }, { containers: [{ name: 'DB' }] }),
      },
    },
    errors: ["spec.podManagementPolicy: Invalid value: \"Serial\": must be 'OrderedReady' or 'Parallel'", 'spec.updateStrategy.rollingUpdate: Invalid value: {"partition":1}: only allowed for updateStrategy \'RollingUpdate\''],
  },
  {
    name: 'statefulset names are DNS labels',
    kind: 'StatefulSet',
    group: 'apps',
    object: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db.v2'), spec: { selector: { matchLabels: { app: 'db' } }, template: template({ app: 'db' }) } },
    errors: ['metadata.name: Invalid value: "db.v2": must not contain dots'],
  },
  {
    name: 'daemonset without selector and with both surge and unavailable',
    kind: 'DaemonSet',
    group: 'apps',
    object: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('agent'), spec: { template: template({ app: 'agent' }), updateStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } } },
    errors: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`', 'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero'],
  },
  {
    name: 'controllerrevision data is mandatory',
    kind: 'ControllerRevision',
    group: 'apps',
    object: { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta('web-1'), revision: -1 },
    errors: ['data: Required value: data is mandatory', 'revision: Invalid value: -1: must be greater than or equal to 0'],
  },
  // ---------------------------------------------------------------- batch
  {
    name: 'job pods may not restart Always',
    kind: 'Job',
    group: 'batch',
    object: { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('pi'), spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } } },
    errors: ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
  },
  {
    name: 'job with a manual selector that does not match',
    kind: 'Job',
    group: 'batch',
    object: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('pi'),
      spec: { manualSelector: true, selector: { matchLabels: { app: 'pi' } }, template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } } },
    },
    errors: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`'],
  },
  {
    name: 'job with a manual selector but no selector',
    kind: 'Job',
    group: 'batch',
    object: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('pi'),
      spec: { manualSelector: true, backoffLimit: -1, template: { metadata: { labels: { app: 'pi' } }, spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } } },
    },
    errors: ['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0', 'spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"pi"}: `selector` does not match template `labels`'],
  },
  {
    name: 'job template labels that contradict the generated ones',
    kind: 'Job',
    group: 'batch',
    object: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('pi', { uid: 'u-1' }),
      spec: { template: { metadata: { labels: { 'job-name': 'other' } }, spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } } },
    },
    errors: [
      "spec.template.metadata.labels[job-name]: Invalid value: map[string]string{\"batch.kubernetes.io/controller-uid\":\"u-1\", \"batch.kubernetes.io/job-name\":\"pi\", \"controller-uid\":\"u-1\", \"job-name\":\"other\"}: must be 'pi'",
    ],
  },
  {
    name: 'indexed job needs completions',
    kind: 'Job',
    group: 'batch',
    object: { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('idx'), spec: { completionMode: 'Indexed', parallelism: 2, template: { spec: { containers: [{ name: 'w', image: 'w' }], restartPolicy: 'Never' } } } },
    errors: ['spec.completions: Required value: when completion mode is Indexed'],
  },
  {
    name: 'cronjob schedule',
    kind: 'CronJob',
    group: 'batch',
    object: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('hello'), spec: { schedule: 'every minute', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'h', image: 'busybox' }], restartPolicy: 'Never' } } } } } },
    errors: ['spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]'],
  },
  {
    name: 'cronjob schedule ranges, time zone, concurrency, selector',
    kind: 'CronJob',
    group: 'batch',
    object: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('hello'),
      spec: {
        schedule: '61 * * * *',
        timeZone: 'Mars/Olympus',
        concurrencyPolicy: 'Sometimes',
        jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'h', image: 'busybox' }], restartPolicy: 'Never' } } } },
      },
    },
    errors: [
      'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
      'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated',
    ],
  },
  {
    name: 'cronjob TZ in the schedule and a name too long for its jobs',
    kind: 'CronJob',
    group: 'batch',
    object: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('a'.repeat(53)),
      spec: { schedule: 'CRON_TZ=UTC 0 * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'h', image: 'busybox' }], restartPolicy: 'Never' } } } } },
    },
    errors: ['spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead', `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`],
  },
  // ---------------------------------------------------------------- Service
  {
    name: 'service without ports; bad type',
    kind: 'Service',
    object: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { type: 'Internal' } },
    errors: ['spec.ports: Required value', 'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
  },
  {
    name: 'service names are DNS-1035 labels',
    kind: 'Service',
    object: { apiVersion: 'v1', kind: 'Service', metadata: meta('1web'), spec: { ports: [{ port: 80 }] } },
    errors: [
      "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ],
  },
  {
    name: 'service ports: names, numbers, duplicates, nodePort on ClusterIP',
    kind: 'Service',
    object: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { ports: [{ port: 80 }, { port: 80, nodePort: 30080 }, { name: 'x', port: 0 }] } },
    errors: [
      'spec.ports[0].name: Required value',
      'spec.ports[1].name: Required value',
      'spec.ports[2].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      // targetPort defaults to port, so it is wrong too.
      'spec.ports[2].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
      "spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ],
  },
  {
    name: 'service clusterIP forms',
    kind: 'Service',
    object: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { clusterIP: '10.96.0.300', ports: [{ port: 80 }] } },
    errors: ['spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
  },
  {
    name: 'headless NodePort service',
    kind: 'Service',
    object: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] } },
    errors: ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
  },
  {
    name: 'ExternalName without a name; affinity config without ClientIP',
    kind: 'Service',
    object: { apiVersion: 'v1', kind: 'Service', metadata: meta('db'), spec: { type: 'ExternalName', clusterIP: '10.96.0.9', externalTrafficPolicy: 'Local' } },
    errors: [
      'spec.clusterIPs: Forbidden: may not be set for ExternalName services',
      'spec.externalName: Required value',
      'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
    ],
  },
  {
    name: 'load balancer source ranges on a ClusterIP service',
    kind: 'Service',
    object: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { ports: [{ port: 80 }], loadBalancerSourceRanges: ['10.0.0.0/8', 'nope'] } },
    errors: [
      "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
      'spec.LoadBalancerSourceRanges[1]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ],
  },
  // ---------------------------------------------------------------- config
  {
    name: 'configmap keys',
    kind: 'ConfigMap',
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { 'a b': '1', dup: 'x' }, binaryData: { dup: 'eA==' } },
    errors: [
      "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
    ],
  },
  {
    name: 'configmap too large',
    kind: 'ConfigMap',
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { a: 'x'.repeat(1024 * 1024), b: 'y' } },
    errors: ['[]: Too long: may not be more than 1048576 bytes'],
  },
  {
    name: 'secret too large',
    kind: 'Secret',
    object: { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), stringData: { a: 'x'.repeat(1024 * 1024 + 1) } },
    errors: ['data: Too long: may not be more than 1048576 bytes'],
  },
  {
    name: 'TLS secret keys; bad base64',
    kind: 'Secret',
    object: { apiVersion: 'v1', kind: 'Secret', metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'not base64!' } },
    errors: ['data[tls.crt]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3', 'data[tls.key]: Required value'],
  },
  {
    name: 'service account token secret needs its account',
    kind: 'Secret',
    object: { apiVersion: 'v1', kind: 'Secret', metadata: meta('tok'), type: 'kubernetes.io/service-account-token' },
    errors: ['metadata.annotations[kubernetes.io/service-account.name]: Required value'],
  },
  // ---------------------------------------------------------------- cluster
  {
    name: 'namespace names are DNS labels',
    kind: 'Namespace',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Team' } },
    errors: [`metadata.name: Invalid value: "Team": ${LABEL_MSG}`],
  },
  {
    name: 'namespaces are cluster-scoped',
    kind: 'Namespace',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', namespace: 'default' } },
    errors: ['metadata.namespace: Forbidden: not allowed on this type'],
  },
  {
    name: 'node taints (reported under metadata, as Kubernetes does) and pod CIDRs',
    kind: 'Node',
    object: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDRs: ['10.244.0.0/24', '10.245.0.0/24'], taints: [{ key: 'gpu', effect: 'Bogus' }, { key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoSchedule' }] },
    },
    errors: [
      'metadata.taints[0].effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      'metadata.taints[2]: Duplicate value: {"key":"a","effect":"NoSchedule"}: taints must be unique by key and effect pair',
      'spec.podCIDRs: Invalid value: []string{"10.244.0.0/24", "10.245.0.0/24"}: may specify no more than one CIDR for each IP family',
    ],
  },
  {
    name: 'persistent volume',
    kind: 'PersistentVolume',
    object: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { accessModes: ['ReadWriteOncePod', 'ReadWriteOnce'], capacity: { storage: '0' }, persistentVolumeReclaimPolicy: 'Keep' } },
    errors: [
      'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
      'spec.capacity[storage]: Invalid value: "0": must be greater than zero',
      'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
      'spec: Required value: must specify a volume type',
    ],
  },
  {
    name: 'persistent volume claim',
    kind: 'PersistentVolumeClaim',
    object: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data'), spec: {} },
    errors: ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value'],
  },
  {
    name: 'endpoints',
    kind: 'Endpoints',
    object: { apiVersion: 'v1', kind: 'Endpoints', metadata: meta('web'), subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 80 }, { name: 'b', port: 81 }] }, { ports: [] }] },
    errors: [
      'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'subsets[0].ports[0].name: Required value',
      'subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`',
    ],
  },
  {
    name: 'endpoint slice',
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    object: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta('web-1'), addressType: 'IPv4', endpoints: [{ addresses: ['fd00::1'] }, { addresses: [] }] },
    errors: ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address', 'endpoints[1].addresses: Required value: must contain at least 1 address'],
  },
  {
    name: 'lease',
    kind: 'Lease',
    group: 'coordination.k8s.io',
    object: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('n1'), spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } },
    errors: ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0', 'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0'],
  },
  {
    name: 'priority class above the user limit',
    kind: 'PriorityClass',
    group: 'scheduling.k8s.io',
    object: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'top' }, value: 2000000000, preemptionPolicy: 'Always' },
    errors: ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000', 'preemptionPolicy: Unsupported value: "Always": supported values: "Never", "PreemptLowerPriority"'],
  },
  {
    name: 'priority class names with the system- prefix',
    kind: 'PriorityClass',
    group: 'scheduling.k8s.io',
    object: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-mine' }, value: 10 },
    errors: ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"],
  },
  {
    name: 'events.k8s.io events are validated strictly',
    kind: 'Event',
    group: 'events.k8s.io',
    object: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: meta('web.1'), regarding: { kind: 'Pod', name: 'web', namespace: 'default' }, type: 'Info', deprecatedCount: 2 },
    errors: ['eventTime: Required value', 'type: Invalid value: "": has invalid value: Info', 'count: Invalid value: "": needs to be unset'],
  },
  {
    name: 'core events are validated leniently, but namespaces must agree',
    kind: 'Event',
    object: { apiVersion: 'v1', kind: 'Event', metadata: meta('Web_1.x'), involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } },
    errors: ['involvedObject.namespace: Invalid value: "other": does not match event.namespace'],
  },
];

describe('validation of new objects', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(tryCreate(resource(c.kind, c.group ?? ''), c.object).errors).toEqual(c.errors);
  });
});

describe('valid objects pass', () => {
  test.each([
    ['pod with a sidecar init container', 'Pod', '', pod({ containers: [{ name: 'web', image: 'nginx' }], initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 15000 } } }] })],
    ['job with restartPolicy OnFailure', 'Job', 'batch', { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('pi'), spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'OnFailure' } } } }],
    ['cronjob with @hourly and a time zone', 'CronJob', 'batch', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('c'), spec: { schedule: '@hourly', timeZone: 'Europe/Berlin', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'c' }], restartPolicy: 'Never' } } } } } }],
    ['cronjob with ranges and names', 'CronJob', 'batch', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('c'), spec: { schedule: '0-30/5 9-17 * JAN-jun mon-FRI', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'c' }], restartPolicy: 'Never' } } } } } }],
    ['LoadBalancer service', 'Service', '', { apiVersion: 'v1', kind: 'Service', metadata: meta('lb'), spec: { type: 'LoadBalancer', ports: [{ port: 443 }], externalTrafficPolicy: 'Local' } }],
    ['statefulset whose template mounts a claim template', 'StatefulSet', 'apps', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db'), spec: { selector: { matchLabels: { app: 'db' } }, template: template({ app: 'db' }, { containers: [{ name: 'db', image: 'pg', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } }],
    ['core event with an odd name', 'Event', '', { apiVersion: 'v1', kind: 'Event', metadata: meta('Web_1.x'), involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Started' }],
    ['system priority class with its own value', 'PriorityClass', 'scheduling.k8s.io', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-node-critical' }, value: 2000001000 }],
  ])('%s', (_name, kind, group, object) => {
    expect(tryCreate(resource(kind, group), object as KubeObject).errors).toEqual([]);
  });
});
