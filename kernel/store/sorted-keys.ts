/**
 * The store's keys in sorted order, so that `range` by prefix, with
 * `startAfter` and `limit`, costs O(log n + page) instead of a scan.
 *
 * A plain sorted array makes every insert in the middle move all later keys;
 * a B-tree is a lot of code for a key count in the tens of thousands. This is
 * the middle ground (the layout of Python's `sortedcontainers`): a list of
 * sorted chunks of at most `CHUNK_MAX` keys, chunk `i` entirely below chunk
 * `i + 1`. Inserts and deletes splice one small chunk; lookups binary-search
 * the chunks' last keys, then one chunk. Positions are "ranks" (the index the
 * key would have in one flat sorted array), computed from per-chunk start
 * offsets that are rebuilt lazily after a change.
 *
 * Order is JavaScript string order (UTF-16 code units). For the ASCII keys the
 * API server writes that is the same as etcd's byte order.
 */

/** Chunks split above this size; 512 keeps splices cheap and chunk counts low. */
const CHUNK_MAX = 512;
/** A chunk this small is merged into a neighbour, so deletes do not leave dust. */
const CHUNK_MIN = CHUNK_MAX / 4;

export class SortedKeys {
  private chunks: string[][] = [];
  /** starts[i] = rank of chunks[i][0]; valid below `startsValidUpTo`. */
  private starts: number[] = [];
  private startsValidUpTo = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Add `key`; false if it was already present. */
  insert(key: string): boolean {
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push([key]);
      this.count = 1;
      this.invalidateFrom(0);
      return true;
    }
    let ci = this.chunkFor(key);
    if (ci === chunks.length) ci = chunks.length - 1; // beyond every key: append to the last chunk
    const chunk = chunks[ci]!;
    const i = lowerBoundIn(chunk, key);
    if (chunk[i] === key) return false;
    if (i === chunk.length) chunk.push(key);
    else chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > CHUNK_MAX) chunks.splice(ci + 1, 0, chunk.splice(chunk.length >> 1));
    this.invalidateFrom(ci);
    return true;
  }

  /** Remove `key`; false if it was absent. */
  delete(key: string): boolean {
    const chunks = this.chunks;
    const ci = this.chunkFor(key);
    if (ci === chunks.length) return false;
    const chunk = chunks[ci]!;
    const i = lowerBoundIn(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) {
      chunks.splice(ci, 1);
    } else if (chunk.length < CHUNK_MIN) {
      const next = chunks[ci + 1];
      if (next && chunk.length + next.length <= CHUNK_MAX) {
        chunks[ci] = chunk.concat(next);
        chunks.splice(ci + 1, 1);
      }
    }
    this.invalidateFrom(ci);
    return true;
  }

  /** Rank of the first key >= `key` (`size` if none). */
  lowerBound(key: string): number {
    const ci = this.chunkFor(key);
    if (ci === this.chunks.length) return this.count;
    return this.startOf(ci) + lowerBoundIn(this.chunks[ci]!, key);
  }

  /** Rank of the first key > `key` (`size` if none). */
  upperBound(key: string): number {
    const rank = this.lowerBound(key);
    return rank < this.count && this.at(rank) === key ? rank + 1 : rank;
  }

  /**
   * Rank just past the keys that start with `prefix`. Keys sort as: below
   * `prefix`, then every key with the prefix, then the rest, so "below or
   * has the prefix" is true for a leading run and binary search applies.
   */
  prefixEnd(prefix: string): number {
    if (prefix === '') return this.count;
    const inOrBelow = (k: string): boolean => k < prefix || k.startsWith(prefix);
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = chunks[mid]!;
      if (inOrBelow(chunk[chunk.length - 1]!)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return this.count;
    const chunk = chunks[lo]!;
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (inOrBelow(chunk[mid]!)) a = mid + 1;
      else b = mid;
    }
    return this.startOf(lo) + a;
  }

  /** The key at `rank` (undefined out of range). */
  at(rank: number): string | undefined {
    if (rank < 0 || rank >= this.count) return undefined;
    const ci = this.chunkAtRank(rank);
    return this.chunks[ci]![rank - this.startOf(ci)];
  }

  /** Keys with rank in [from, to), in order. */
  *iterate(from: number, to: number): IterableIterator<string> {
    to = Math.min(to, this.count);
    if (from >= to) return;
    let ci = this.chunkAtRank(from);
    let i = from - this.startOf(ci);
    let left = to - from;
    // Chunks are not changed while a caller iterates: the store only reads
    // between writes, synchronously.
    while (left > 0) {
      const chunk = this.chunks[ci]!;
      while (i < chunk.length && left > 0) {
        yield chunk[i++]!;
        left--;
      }
      ci++;
      i = 0;
    }
  }

  /** Keys with rank in [from, to), as an array. */
  slice(from: number, to: number): string[] {
    const out: string[] = [];
    for (const key of this.iterate(from, to)) out.push(key);
    return out;
  }

  /** Index of the first chunk whose last key >= `key` (chunks.length if none). */
  private chunkFor(key: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = chunks[mid]!;
      if (chunk[chunk.length - 1]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the chunk holding `rank` (0 <= rank < size). */
  private chunkAtRank(rank: number): number {
    this.validateStarts();
    const starts = this.starts;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= rank) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private startOf(ci: number): number {
    if (ci >= this.startsValidUpTo) this.validateStarts();
    return this.starts[ci]!;
  }

  private invalidateFrom(ci: number): void {
    if (ci < this.startsValidUpTo) this.startsValidUpTo = ci;
  }

  private validateStarts(): void {
    const chunks = this.chunks;
    const starts = this.starts;
    starts.length = chunks.length;
    let ci = this.startsValidUpTo;
    let rank = ci === 0 ? 0 : starts[ci - 1]! + chunks[ci - 1]!.length;
    for (; ci < chunks.length; ci++) {
      starts[ci] = rank;
      rank += chunks[ci]!.length;
    }
    this.startsValidUpTo = chunks.length;
  }
}

function lowerBoundIn(chunk: readonly string[], key: string): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chunk[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
