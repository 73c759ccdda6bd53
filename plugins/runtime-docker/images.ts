/**
 * Images through the engine: look one up by reference (tag, digest or id)
 * and pull one, turning the engine's failure into an ImagePullError that says
 * whether the registry was unreachable, the image not found, or access denied.
 */
import type Docker from 'dockerode';
import { ImagePullError, type ImageInfo } from '../../kernel/runtime/types';
import { engineMessage, isNotFound, runtimeError } from './errors';
import { toImageInfo } from './status';

export type PullFailure = 'registry unreachable' | 'not found' | 'unauthorized' | 'failed';

// The engine only gives text; these are the phrases Go's net/http, the
// distribution client and the registries put in it.
const UNREACHABLE = [
  /dial tcp/i,
  /connection refused/i,
  /no such host/i,
  /i\/o timeout/i,
  /network is unreachable/i,
  /no route to host/i,
  /TLS handshake timeout/i,
  /Client\.Timeout exceeded/i,
  /context deadline exceeded/i,
  /connection reset by peer/i,
  /server misbehaving/i,
  /temporary failure in name resolution/i,
  /proxyconnect/i,
];
const NOT_FOUND = [/manifest unknown/i, /not found/i, /does not exist/i, /name unknown/i, /no such image/i];
const UNAUTHORIZED = [/unauthorized/i, /authentication required/i, /no basic auth credentials/i, /denied/i, /forbidden/i];

/** Classify the engine's message for a failed pull. "Not found" wins over "denied": Docker Hub says both for a repository it does not show. */
export function classifyPullFailure(message: string): PullFailure {
  if (UNREACHABLE.some((re) => re.test(message))) return 'registry unreachable';
  if (NOT_FOUND.some((re) => re.test(message))) return 'not found';
  if (UNAUTHORIZED.some((re) => re.test(message))) return 'unauthorized';
  return 'failed';
}

/** The engine pulls every tag of a repository named without one; Kubernetes means `:latest`. */
export function withDefaultTag(reference: string): string {
  if (reference.includes('@')) return reference;
  const lastSlash = reference.lastIndexOf('/');
  return reference.slice(lastSlash + 1).includes(':') ? reference : `${reference}:latest`;
}

/** The image if the engine has it. */
export async function inspectImage(docker: Docker, reference: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(reference).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw runtimeError(`cannot inspect image ${JSON.stringify(reference)}`, err);
  }
}

export async function imageStatus(docker: Docker, reference: string): Promise<ImageInfo | undefined> {
  const image = await inspectImage(docker, reference);
  return image && toImageInfo(image);
}

function pullError(image: string, cause: unknown): ImagePullError {
  const message = engineMessage(cause);
  const kind = classifyPullFailure(message);
  return new ImagePullError(image, `failed to pull image ${JSON.stringify(image)}: ${kind}: ${message}`, kind === 'registry unreachable', { cause });
}

/**
 * Pull through the engine (its registry configuration, mirrors and
 * credentials apply). The engine reports some failures as an HTTP error and
 * others inside the progress stream; both end up as an ImagePullError.
 */
export async function pullImage(docker: Docker, reference: string, signal?: AbortSignal): Promise<ImageInfo> {
  const aborted = () => new ImagePullError(reference, `pull of ${JSON.stringify(reference)} was cancelled`, false, { cause: signal?.reason });
  if (signal?.aborted) throw aborted();
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(withDefaultTag(reference), { abortSignal: signal });
  } catch (err) {
    throw signal?.aborted ? aborted() : pullError(reference, err);
  }
  const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) => {
    const onAbort = () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(output);
    });
  }).catch((err: unknown) => {
    throw signal?.aborted ? aborted() : pullError(reference, err);
  });
  const failure = events.find((e) => e.error || e.errorDetail);
  if (failure) throw pullError(reference, new Error(failure.errorDetail?.message ?? failure.error));
  if (signal?.aborted) throw aborted();

  const image = await imageStatus(docker, reference);
  if (!image) throw new ImagePullError(reference, `the engine reported ${JSON.stringify(reference)} pulled but does not have it`, false);
  return image;
}
