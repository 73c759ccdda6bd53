/**
 * Images as the kubelet's image manager handles them: imagePullPolicy
 * (Always, IfNotPresent, Never), Pulling/Pulled/Failed/BackOff events with
 * Kubernetes' wording, ErrImagePull then ImagePullBackOff with a per pod and
 * image back-off (10 s doubling to 5 min), ErrImageNeverPull.
 *
 * One rule Kubernetes does not have, for nodes without a registry (CI, air
 * gapped sites, the project's own tests where `image: busybox` means
 * `busybox:latest` and so Always): when a pull fails because the registry
 * cannot be reached at all and the image is present locally, the local image
 * is used and a Warning event says so. After such a failure the registry is
 * not asked again for a while (unreachableRegistryCacheSeconds), so every
 * container start does not wait for a network timeout.
 *
 * Concurrent pulls of one image share a single runtime pull.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { Clock } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import type { ContainerRuntime, ImageInfo } from '../../kernel/runtime/types';
import { ImagePullError } from '../../kernel/runtime/types';
import type { Backoff } from './backoff';
import type { EventSink, InvolvedObject } from '../../kernel/client/events';

export type ImageFailureReason = 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName';

export type ImageResult =
  | { readonly ok: true; readonly image: ImageInfo }
  | { readonly ok: false; readonly reason: ImageFailureReason; readonly message: string; /** Check again after this long (back-off). */ readonly retryAfterMs?: number };

export interface ImageManagerOptions {
  readonly runtime: ContainerRuntime;
  readonly events: EventSink;
  readonly clock: Clock;
  readonly backoff: Backoff;
  readonly unreachableRegistryCacheMs: number;
  readonly logger: Logger;
}

/** Docker's reference grammar (domain, path components, tag, digest), enough to tell a usable name from garbage. */
const REFERENCE = /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;

/** The registry an image comes from (`docker.io` for short names). */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** The policy the API would have defaulted: Always for `:latest` or no tag, else IfNotPresent. */
export function effectivePullPolicy(container: Container): 'Always' | 'IfNotPresent' | 'Never' {
  const p = container.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  const image = container.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? image.slice(colon + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Go's time.Duration String for a millisecond duration (`1.234s`, `512ms`, `2m3.5s`). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = ms / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds - h * 3600 - m * 60;
  const sText = `${Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sText}`;
  if (m > 0) return `${m}m${sText}`;
  return sText;
}

export class ImageManager {
  private readonly inflight = new Map<string, Promise<ImageInfo>>();
  /** Registry → until when it is considered unreachable, and why. */
  private readonly unreachable = new Map<string, { until: number; at: number }>();

  constructor(private readonly o: ImageManagerOptions) {}

  /** Make the container's image available per its pull policy. Runtime faults other than pull failures throw. */
  async ensureImage(pod: Pod, container: Container, ref: InvolvedObject, signal?: AbortSignal): Promise<ImageResult> {
    const image = container.image ?? '';
    const events = this.o.events;
    if (!REFERENCE.test(image)) {
      const message = `Failed to apply default image tag "${image}": couldn't parse image reference "${image}": invalid reference format`;
      events.record(ref, 'Warning', 'InspectFailed', message);
      return { ok: false, reason: 'InvalidImageName', message };
    }
    const policy = effectivePullPolicy(container);
    const present = await this.o.runtime.imageStatus(image);
    if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
      if (present) {
        events.record(ref, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return { ok: true, image: present };
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      events.record(ref, 'Warning', 'ErrImageNeverPull', message);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }

    const key = `${pod.metadata?.uid ?? ''}_${image}`;
    const backoff = this.o.backoff;
    if (backoff.isInBackOffSinceUpdate(key)) {
      const message = `Back-off pulling image "${image}"`;
      events.record(ref, 'Normal', 'BackOff', message);
      return { ok: false, reason: 'ImagePullBackOff', message, retryAfterMs: backoff.remainingSinceUpdate(key) };
    }

    const registry = registryOf(image);
    const down = this.unreachable.get(registry);
    if (present && down && down.until > this.o.clock.now()) {
      const ago = goDuration(Math.round((this.o.clock.now() - down.at) / 1000) * 1000);
      events.record(ref, 'Warning', 'Pulled', `Container image "${image}" already present on machine and used without pulling: the registry ${registry} could not be reached ${ago} ago`);
      return { ok: true, image: present };
    }

    events.record(ref, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const requested = this.o.clock.now();
    let pulled: ImageInfo;
    let pullStarted = requested;
    try {
      let pull = this.inflight.get(image);
      if (!pull) {
        pullStarted = this.o.clock.now();
        pull = this.o.runtime.pullImage(image, signal).finally(() => this.inflight.delete(image));
        this.inflight.set(image, pull);
      }
      pulled = await pull;
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      if (err.unreachable) {
        this.unreachable.set(registry, { until: this.o.clock.now() + this.o.unreachableRegistryCacheMs, at: this.o.clock.now() });
        // Pulled meanwhile by another pod, or present all along: use it.
        const local = present ?? (await this.o.runtime.imageStatus(image));
        if (local) {
          events.record(ref, 'Warning', 'Pulled', this.airGappedMessage(image, err.message));
          return { ok: true, image: local };
        }
      }
      backoff.next(key);
      events.record(ref, 'Warning', 'Failed', `Failed to pull image "${image}": ${err.message}`);
      return { ok: false, reason: 'ErrImagePull', message: err.message, retryAfterMs: backoff.remainingSinceUpdate(key) };
    }
    this.unreachable.delete(registry);
    backoff.reset(key);
    const done = this.o.clock.now();
    events.record(
      ref,
      'Normal',
      'Pulled',
      `Successfully pulled image "${image}" in ${goDuration(done - pullStarted)} (${goDuration(done - requested)} including waiting). Image size: ${pulled.size} bytes.`,
    );
    return { ok: true, image: pulled };
  }

  private airGappedMessage(image: string, error: string): string {
    return `Container image "${image}" already present on machine and used without pulling: the registry could not be reached (${error})`;
  }
}
