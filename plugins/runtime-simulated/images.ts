/**
 * Simulated images: names only, no layers. Ids and sizes are derived from the
 * name (sha256), so every node and every run agrees on them, and a pull
 * either succeeds after the configured delay or fails the way a registry
 * would (not found, or not reachable), decided by the name alone.
 */
import { createHash } from 'node:crypto';
import type { ImageInfo } from '../../kernel/runtime/types';
import { ImagePullError } from '../../kernel/runtime/types';

/** Registry hosts whose names start with this cannot be reached (`unreachable.example.com/app`). */
export const UNREACHABLE_PREFIX = 'unreachable.';

/**
 * The name Docker would list: `docker.io/library/busybox` and `busybox` are
 * both `busybox:latest`; a reference without tag or digest gets `:latest`.
 */
export function normalizeImage(reference: string): string {
  let name = reference.trim();
  if (name.startsWith('docker.io/library/')) name = name.slice('docker.io/library/'.length);
  else if (name.startsWith('docker.io/')) name = name.slice('docker.io/'.length);
  if (name.includes('@')) return name;
  const lastSlash = name.lastIndexOf('/');
  return name.indexOf(':', lastSlash + 1) >= 0 ? name : `${name}:latest`;
}

/** The repository part of a normalized reference (`busybox` for `busybox:1.36`). */
export function imageRepository(normalized: string): string {
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized.slice(0, at);
  const lastSlash = normalized.lastIndexOf('/');
  const colon = normalized.indexOf(':', lastSlash + 1);
  return colon >= 0 ? normalized.slice(0, colon) : normalized;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Ids are a function of the name, so they are cached process-wide (bounded by the distinct names used). */
const infoCache = new Map<string, ImageInfo>();

/** What `imageStatus` reports for a present image (by normalized name). */
export function imageInfo(normalized: string): ImageInfo {
  let info = infoCache.get(normalized);
  if (!info) {
    const hash = sha256(normalized);
    const digested = normalized.includes('@');
    info = Object.freeze({
      id: `sha256:${hash}`,
      repoTags: Object.freeze(digested ? [] : [normalized]),
      repoDigests: Object.freeze(digested ? [normalized] : [`${imageRepository(normalized)}@sha256:${sha256(`manifest:${normalized}`)}`]),
      // Between 5 MB and 100 MB, stable per name, so image-size based scoring sees variety.
      size: 5_000_000 + (parseInt(hash.slice(0, 8), 16) % 95_000_000),
    });
    infoCache.set(normalized, info);
  }
  return info;
}

/**
 * Does `pattern` (from the options: `unpullable`, `behaviours[].image`) name
 * this image? A pattern without a tag names every tag of its repository; a
 * trailing `*` matches any suffix of the reference.
 */
export function imageMatches(pattern: string, normalized: string): boolean {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return normalized.startsWith(prefix) || normalized.startsWith(normalizePrefix(prefix));
  }
  const wanted = normalizeImage(pattern);
  if (wanted === normalized) return true;
  const hasTag = pattern.includes('@') || pattern.indexOf(':', pattern.lastIndexOf('/') + 1) >= 0;
  return !hasTag && imageRepository(wanted) === imageRepository(normalized);
}

function normalizePrefix(prefix: string): string {
  if (prefix.startsWith('docker.io/library/')) return prefix.slice('docker.io/library/'.length);
  if (prefix.startsWith('docker.io/')) return prefix.slice('docker.io/'.length);
  return prefix;
}

/**
 * The registry's answer to a pull of `normalized`: undefined when it would
 * succeed, else the ImagePullError to throw, worded like Docker's.
 */
export function pullFailure(normalized: string, unpullable: readonly string[]): ImagePullError | undefined {
  if (normalized.startsWith(UNREACHABLE_PREFIX)) {
    const slash = normalized.indexOf('/');
    const host = slash >= 0 ? normalized.slice(0, slash) : imageRepository(normalized);
    return new ImagePullError(
      normalized,
      `simulated registry: Get "https://${host}/v2/": dial tcp: lookup ${host}: no such host`,
      true,
    );
  }
  if (unpullable.some((pattern) => imageMatches(pattern, normalized))) {
    return new ImagePullError(
      normalized,
      `simulated registry: pull access denied for ${imageRepository(normalized)}, repository does not exist or may require 'docker login' (listed in unpullable)`,
      false,
    );
  }
  return undefined;
}
