/**
 * The ConfigMaps and Secrets the node's pods refer to (env, envFrom,
 * volumes), watched one by one like the kubelet's watch-based managers: an
 * informer per referenced object (field selector `metadata.name=<name>` in
 * its namespace), started when the first pod refers to it and stopped when
 * the last one goes. A change to a watched object asks for a sync of the pods
 * that use it, which refreshes their volume files.
 *
 * Watching single objects keeps a node's view to what its pods need, which
 * is also what a node's credentials should be allowed to read.
 */
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../../kernel/client/types';
import type { Clock } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import { SharedInformer } from '../../kernel/client/informer';
import type { ObjectLookup } from './env';

export const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true } as const;
export const SECRETS = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true } as const;

type Kind = 'configmaps' | 'secrets';

interface Watched {
  readonly informer: SharedInformer;
  readonly users: Set<string>;
}

/** The objects a pod refers to, as `kind/namespace/name` keys. */
export function referencedObjects(pod: Pod): Set<string> {
  const ns = pod.metadata?.namespace ?? 'default';
  const out = new Set<string>();
  const add = (kind: Kind, name: string | undefined) => {
    if (name) out.add(`${kind}/${ns}/${name}`);
  };
  for (const v of pod.spec?.volumes ?? []) {
    add('configmaps', v.configMap?.name);
    add('secrets', v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) {
      add('configmaps', s.configMap?.name);
      add('secrets', s.secret?.name);
    }
  }
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const e of c.envFrom ?? []) {
      add('configmaps', e.configMapRef?.name);
      add('secrets', e.secretRef?.name);
    }
    for (const e of c.env ?? []) {
      add('configmaps', e.valueFrom?.configMapKeyRef?.name);
      add('secrets', e.valueFrom?.secretKeyRef?.name);
    }
  }
  return out;
}

export interface ObjectSourceOptions {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Pods (by uid) whose referenced object changed. */
  readonly onChange: (podUids: readonly string[]) => void;
  /** How long a first read waits for its informer to list (ms). */
  readonly syncTimeoutMs?: number;
}

export class ObjectSource implements ObjectLookup {
  private readonly watched = new Map<string, Watched>();
  private readonly byPod = new Map<string, Set<string>>();
  private stopped = false;

  constructor(private readonly o: ObjectSourceOptions) {}

  /** Watch what the pod refers to now (and stop watching what it no longer does). */
  track(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const next = referencedObjects(pod);
    const before = this.byPod.get(uid) ?? new Set<string>();
    for (const key of before) if (!next.has(key)) this.release(uid, key);
    for (const key of next) if (!before.has(key)) this.acquire(uid, key);
    if (next.size > 0) this.byPod.set(uid, next);
    else this.byPod.delete(uid);
  }

  untrack(uid: string): void {
    for (const key of this.byPod.get(uid) ?? []) this.release(uid, key);
    this.byPod.delete(uid);
  }

  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.read<ConfigMap>('configmaps', namespace, name);
  }

  secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.read<Secret>('secrets', namespace, name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.watched.values()].map((w) => w.informer.stop()));
    this.watched.clear();
    this.byPod.clear();
  }

  private acquire(uid: string, key: string): void {
    if (this.stopped) return;
    let w = this.watched.get(key);
    if (!w) {
      const [kind, namespace, name] = key.split('/') as [Kind, string, string];
      const informer = new SharedInformer(this.o.client, kind === 'configmaps' ? CONFIGMAPS : SECRETS, {
        namespace,
        fieldSelector: `metadata.name=${name}`,
        clock: this.o.clock,
        logger: this.o.logger,
      });
      const notify = () => this.o.onChange([...(this.watched.get(key)?.users ?? [])]);
      informer.addEventHandler({ onAdd: (_o, initial) => !initial && notify(), onUpdate: notify, onDelete: notify });
      w = { informer, users: new Set() };
      this.watched.set(key, w);
      informer.start();
    }
    w.users.add(uid);
  }

  private release(uid: string, key: string): void {
    const w = this.watched.get(key);
    if (!w) return;
    w.users.delete(uid);
    if (w.users.size > 0) return;
    this.watched.delete(key);
    void w.informer.stop();
  }

  /** The object from its informer (listing it first if the informer is new); undefined when it does not exist. */
  private async read<T>(kind: Kind, namespace: string, name: string): Promise<T | undefined> {
    const key = `${kind}/${namespace}/${name}`;
    let w = this.watched.get(key);
    if (!w) {
      // Not referenced by a tracked pod (should not happen): read it directly.
      try {
        return await this.o.client.get(kind === 'configmaps' ? CONFIGMAPS : SECRETS, name, { namespace }) as T;
      } catch (err) {
        if ((err as { reason?: string }).reason === 'NotFound') return undefined;
        throw err;
      }
    }
    if (!w.informer.hasSynced()) {
      const abort = new AbortController();
      const timer = this.o.clock.setTimeout(() => abort.abort(), this.o.syncTimeoutMs ?? 30_000);
      const synced = await w.informer.waitForSync(abort.signal);
      this.o.clock.clearTimeout(timer);
      if (!synced) throw new Error(`could not list ${kind} ${namespace}/${name} from the API server`);
      w = this.watched.get(key) ?? w;
    }
    return w.informer.cache.get(`${namespace}/${name}`) as T | undefined;
  }
}
