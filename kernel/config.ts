/**
 * cluster.yaml: one file that describes a whole cluster (API address, data
 * directory, store, plugins and their options, local nodes).
 *
 *   apiVersion: skiff.dev/v1alpha1
 *   kind: Cluster
 *   api: { listen: 127.0.0.1:6443 }
 *   plugins:
 *     - scheduler
 *     - name: cni-flannel
 *       options: { network: 10.244.0.0/16 }
 *
 * Bad config fails before anything starts, naming the file, the line, the path
 * (`plugins[2].options.network`) and the reason.
 */
import Ajv, { ErrorObject, JSONSchemaType } from 'ajv';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, isNode, isMap, isScalar, Document } from 'yaml';

export const CLUSTER_API_VERSION = 'skiff.dev/v1alpha1';
export const CLUSTER_KIND = 'Cluster';

export interface PluginEntry {
  /** A built-in plugin (`scheduler`) or an npm package name (`@acme/skiff-quota`). */
  name: string;
  options: Record<string, unknown>;
}

export interface NodeEntry {
  name: string;
  /** The ContainerRuntime implementation: `docker` or `simulated`. */
  runtime: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface StoreConfig {
  /** `embedded` (default) or a store a plugin provides (`etcd`). */
  type: string;
  /** Store-specific settings. */
  [key: string]: unknown;
}

export interface ApiConfig {
  /** host:port the API server listens on. */
  listen: string;
  /** Serve HTTPS with a cluster CA kept in the data directory (default true). */
  tls: boolean;
  /** Service ClusterIPs come from this range. */
  serviceClusterIPRange: string;
  /** NodePorts come from this range. */
  serviceNodePortRange: string;
  /** Largest request body accepted (bytes). Kubernetes: 3 MiB. */
  maxRequestBytes: number;
}

export interface ClusterConfig {
  apiVersion: typeof CLUSTER_API_VERSION;
  kind: typeof CLUSTER_KIND;
  metadata: { name: string };
  dataDir: string;
  api: ApiConfig;
  store: StoreConfig;
  plugins: PluginEntry[];
  nodes: NodeEntry[];
  /** The file this came from (absent for configs built in code); relative paths resolve from its directory. */
  source?: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:6443';
export const DEFAULT_DATA_DIR = './.skiff';
export const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/** One problem in a config file, located. */
export interface ConfigProblem {
  /** `plugins[2].options.network`; empty for the document itself. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line ? `${file}:${p.line}:${p.column ?? 1}` : file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

type PathSegment = string | number;

/** `["plugins", 2, "options", "network"]` → `plugins[2].options.network`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

/** `/plugins/2/options/network` (a JSON pointer) → segments. */
export function pointerToSegments(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false, verbose: true });

/** Turn ajv's errors into located, readable problems under `prefix`. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined, prefix: readonly PathSegment[] = []): Array<{ segments: PathSegment[]; message: string }> {
  const out: Array<{ segments: PathSegment[]; message: string }> = [];
  for (const e of errors ?? []) {
    const segments = [...prefix, ...pointerToSegments(e.instancePath)];
    switch (e.keyword) {
      case 'additionalProperties':
        out.push({ segments: [...segments, e.params.additionalProperty as string], message: 'unknown field' });
        break;
      case 'required':
        out.push({ segments: [...segments, e.params.missingProperty as string], message: 'required field is missing' });
        break;
      case 'type':
        out.push({ segments, message: `must be ${article(String(e.params.type))}` });
        break;
      case 'enum':
        out.push({ segments, message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` });
        break;
      case 'pattern':
        out.push({ segments, message: e.parentSchema && (e.parentSchema as { description?: string }).description ? `must be ${(e.parentSchema as { description: string }).description}` : `must match ${e.params.pattern}` });
        break;
      case 'oneOf':
      case 'anyOf':
        out.push({ segments, message: (e.parentSchema as { description?: string })?.description ? `must be ${(e.parentSchema as { description: string }).description}` : 'has an unexpected shape' });
        break;
      default:
        out.push({ segments, message: e.message ?? 'is invalid' });
    }
  }
  // anyOf/oneOf also report every branch's errors. When a branch got past the
  // type check (errors deeper than the anyOf), those are the useful ones;
  // otherwise the summary is. Errors at the anyOf's own path are branch noise.
  const keywords = (errors ?? []).map((e) => e.keyword);
  const drop = new Set<number>();
  out.forEach((p, i) => {
    if (keywords[i] !== 'anyOf' && keywords[i] !== 'oneOf') return;
    const at = formatPath(p.segments);
    const deeper = out.some((q, j) => j !== i && formatPath(q.segments).startsWith(at) && formatPath(q.segments) !== at);
    out.forEach((q, j) => {
      if (j !== i && formatPath(q.segments) === at) drop.add(j);
    });
    if (deeper) drop.add(i);
  });
  return out.filter((_, i) => !drop.has(i));
}

function article(type: string): string {
  const word = type === 'object' ? 'a mapping' : type === 'array' ? 'a list' : type === 'integer' ? 'an integer' : type === 'boolean' ? 'true or false' : `a ${type}`;
  return word;
}

const HOST_PORT = '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]*):[0-9]{1,5}$';
const CIDR4 = '^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$';
const PORT_RANGE = '^[0-9]{1,5}-[0-9]{1,5}$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

interface RawConfig {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  dataDir?: string;
  api?: Partial<ApiConfig>;
  store?: StoreConfig;
  plugins?: Array<string | { name: string; options?: Record<string, unknown> }>;
  nodes?: NodeEntry[];
}

const clusterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: { type: 'string', enum: [CLUSTER_API_VERSION] },
    kind: { type: 'string', enum: [CLUSTER_KIND] },
    metadata: {
      type: 'object',
      additionalProperties: false,
      properties: { name: { type: 'string', pattern: DNS_LABEL, description: 'a DNS label (lower-case letters, digits and "-")' } },
    },
    dataDir: { type: 'string' },
    api: {
      type: 'object',
      additionalProperties: false,
      properties: {
        listen: { type: 'string', pattern: HOST_PORT, description: 'host:port, e.g. 127.0.0.1:6443' },
        tls: { type: 'boolean' },
        serviceClusterIPRange: { type: 'string', pattern: CIDR4, description: 'an IPv4 CIDR, e.g. 10.96.0.0/12' },
        serviceNodePortRange: { type: 'string', pattern: PORT_RANGE, description: 'a port range, e.g. 30000-32767' },
        maxRequestBytes: { type: 'integer', minimum: 1024 },
      },
    },
    store: {
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string' } },
    },
    plugins: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: { type: 'string', minLength: 1 }, options: { type: 'object' } },
          },
        ],
        description: 'a plugin name, or a mapping with name and options',
      },
    },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', description: 'a DNS subdomain (lower-case letters, digits, "-" and ".")' },
          runtime: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  },
} as unknown as JSONSchemaType<RawConfig>;

const validateCluster = ajv.compile<RawConfig>(clusterSchema);

/** Locate a path in a parsed YAML document (1-based line and column). */
function locate(doc: Document | undefined, counter: LineCounter | undefined, segments: PathSegment[]): { line?: number; column?: number } {
  if (!doc || !counter) return {};
  // Point at the key of the field when there is one, else walk up until a node exists
  // (a missing field is reported at its parent).
  const last = segments[segments.length - 1];
  const parent = segments.length > 0 ? doc.getIn(segments.slice(0, -1), true) : undefined;
  if (typeof last === 'string' && isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    if (pair && isNode(pair.key) && pair.key.range) {
      const pos = counter.linePos(pair.key.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = counter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

/** Read and validate a cluster.yaml. Throws ConfigError naming every problem. */
export function loadClusterConfig(file: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseClusterConfig(text, file);
}

/** Validate cluster config text (YAML or JSON). `file` names it in errors. */
export function parseClusterConfig(text: string, file = 'cluster.yaml'): ClusterConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: '', message: `invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, line: pos?.line, column: pos?.col };
      }),
    );
  }
  const raw = doc.toJS() as unknown;
  return validateClusterObject(raw, file, doc, counter);
}

/** Validate an already-parsed config object (e.g. built in code or tests). */
export function validateClusterObject(raw: unknown, file = 'cluster.yaml', doc?: Document, counter?: LineCounter): ClusterConfig {
  const problems: ConfigProblem[] = [];
  const add = (segments: PathSegment[], message: string) => problems.push({ path: formatPath(segments), message, ...locate(doc, counter, segments) });

  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', message: `must be a mapping with apiVersion: ${CLUSTER_API_VERSION} and kind: ${CLUSTER_KIND}` }]);
  }
  if (!validateCluster(raw)) {
    for (const p of describeSchemaErrors(validateCluster.errors)) add(p.segments, p.message);
    throw new ConfigError(file, problems);
  }

  const api = raw.api ?? {};
  const config: ClusterConfig = {
    apiVersion: CLUSTER_API_VERSION,
    kind: CLUSTER_KIND,
    metadata: { name: raw.metadata?.name ?? 'skiff' },
    dataDir: raw.dataDir ?? DEFAULT_DATA_DIR,
    api: {
      listen: api.listen ?? DEFAULT_LISTEN,
      tls: api.tls ?? true,
      serviceClusterIPRange: api.serviceClusterIPRange ?? '10.96.0.0/12',
      serviceNodePortRange: api.serviceNodePortRange ?? '30000-32767',
      maxRequestBytes: api.maxRequestBytes ?? MAX_REQUEST_BYTES,
    },
    store: raw.store ?? { type: 'embedded' },
    plugins: (raw.plugins ?? []).map((p) => (typeof p === 'string' ? { name: p, options: {} } : { name: p.name, options: p.options ?? {} })),
    nodes: (raw.nodes ?? []).map((n) => ({ ...n, runtime: n.runtime ?? 'docker' })),
    source: doc ? file : undefined,
  };

  // Semantic checks the schema cannot express.
  const [, port] = splitHostPort(config.api.listen);
  if (port > 65535) add(['api', 'listen'], `port ${port} is out of range (0-65535)`);
  const cidr = config.api.serviceClusterIPRange;
  const [addr, bits] = cidr.split('/');
  if (addr.split('.').some((o) => Number(o) > 255) || Number(bits) > 30 || Number(bits) < 8) {
    add(['api', 'serviceClusterIPRange'], `${JSON.stringify(cidr)} is not a usable IPv4 CIDR (prefix length 8-30)`);
  }
  const [lo, hi] = config.api.serviceNodePortRange.split('-').map(Number);
  if (!(lo >= 1 && hi <= 65535 && lo <= hi)) add(['api', 'serviceNodePortRange'], `${JSON.stringify(config.api.serviceNodePortRange)} is not a valid port range`);

  const seen = new Map<string, number>();
  config.plugins.forEach((p, i) => {
    const first = seen.get(p.name);
    if (first !== undefined) add(['plugins', i], `duplicate plugin ${JSON.stringify(p.name)} (also plugins[${first}])`);
    else seen.set(p.name, i);
  });
  const nodeNames = new Map<string, number>();
  config.nodes.forEach((n, i) => {
    const first = nodeNames.get(n.name);
    if (first !== undefined) add(['nodes', i, 'name'], `duplicate node name ${JSON.stringify(n.name)} (also nodes[${first}])`);
    else nodeNames.set(n.name, i);
  });

  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}

/** Locate problems found later (plugin option validation) in the same file. */
export function locateInFile(file: string | undefined, segments: PathSegment[]): { line?: number; column?: number } {
  if (!file) return {};
  try {
    const counter = new LineCounter();
    const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter });
    return locate(doc, counter, segments);
  } catch {
    // The file was readable a moment ago; without it, the problem is reported unlocated.
    return {};
  }
}

export function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  let host = listen.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host || '0.0.0.0', Number(listen.slice(i + 1))];
}

/** The data directory, absolute (relative paths resolve from the current directory). */
export function resolveDataDir(config: ClusterConfig): string {
  return path.resolve(config.dataDir);
}

/** A default config (what `skiff up` without `-f` and tests start from). */
export function defaultClusterConfig(overrides: Partial<ClusterConfig> = {}): ClusterConfig {
  return { ...validateClusterObject({ apiVersion: CLUSTER_API_VERSION, kind: CLUSTER_KIND }), ...overrides };
}
