/**
 * Cluster-wide allocators for Service ClusterIPs and NodePorts, with
 * Kubernetes' allocation order and error messages.
 *
 * Order: like Kubernetes (KEP-3070 for IPs, KEP-3668 for ports) a range is
 * split into a small lower band and an upper band; `allocateNext` picks a
 * random-looking start in the upper band and scans forward, falling back to the
 * lower band only when the upper one is full, so the lower band stays free for
 * users who ask for a specific address or port. The "random" start comes from
 * a seeded generator, so a given seed always yields the same sequence (tests
 * and reproducible clusters). `order: 'sequential'` gives the lowest free value
 * instead.
 */
import { ApiError } from '../errors';
import type { Allocator } from '../resource';
import { cidrContains, formatIP, parseCIDR, parseIP, type IPFamily, type ParsedCIDR } from '../validation';

export interface AllocatorOptions {
  /** `random` (default, Kubernetes-like, seeded) or `sequential` (lowest free first). */
  order?: 'random' | 'sequential';
  /** Seed of the random order; defaults to one derived from the range, so each range has a fixed sequence. */
  seed?: number;
}

/** Why an allocation failed; `detail` is Kubernetes' bare message (`provided port is already allocated`). */
export type AllocationFailure = 'Full' | 'Allocated' | 'NotInRange';

/**
 * An allocation failure. Specific requests fail with 422 Invalid and range
 * exhaustion with 500, as Kubernetes answers; the Service strategy catches
 * these and re-raises them at the field that asked (`spec.clusterIPs`,
 * `spec.ports[i].nodePort`) using `detail`.
 */
export class AllocationError extends ApiError {
  constructor(
    readonly failure: AllocationFailure,
    readonly detail: string,
    message: string,
  ) {
    super(failure === 'Full' ? 500 : 422, failure === 'Full' ? 'InternalError' : 'Invalid', message, { causes: [{ message: detail }] });
  }
}

export function isAllocationError(err: unknown): err is AllocationError {
  return err instanceof AllocationError;
}

/** A small seeded PRNG (mulberry32): good enough to spread allocations, reproducible by seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Offsets 0..size-1 with Kubernetes' two-band scan. `excluded` offsets are
 * never handed out by `next` but may be taken explicitly.
 */
class OffsetBitmap {
  private readonly taken = new Set<number>();
  private readonly random: () => number;

  constructor(
    readonly size: number,
    private readonly lowerBand: number,
    private readonly options: Required<AllocatorOptions>,
    private readonly excluded: ReadonlySet<number> = new Set(),
  ) {
    this.random = seededRandom(options.seed);
  }

  has(offset: number): boolean {
    return this.taken.has(offset);
  }

  take(offset: number): boolean {
    if (this.taken.has(offset)) return false;
    this.taken.add(offset);
    return true;
  }

  release(offset: number): void {
    this.taken.delete(offset);
  }

  get used(): number {
    return this.taken.size;
  }

  next(): number | undefined {
    const free = (o: number) => !this.taken.has(o) && !this.excluded.has(o);
    if (this.options.order === 'sequential') {
      for (let o = 0; o < this.size; o++) {
        if (free(o)) {
          this.take(o);
          return o;
        }
      }
      return undefined;
    }
    const scan = (from: number, to: number): number | undefined => {
      const width = to - from;
      if (width <= 0) return undefined;
      const start = Math.floor(this.random() * width);
      for (let i = 0; i < width; i++) {
        const o = from + ((start + i) % width);
        if (free(o)) return o;
      }
      return undefined;
    };
    const o = scan(this.lowerBand, this.size) ?? scan(0, this.lowerBand);
    if (o !== undefined) this.take(o);
    return o;
  }
}

function withDefaults(options: AllocatorOptions, range: string): Required<AllocatorOptions> {
  return { order: options.order ?? 'random', seed: options.seed ?? hashSeed(range) };
}

/** Kubernetes caps IPv6 service ranges to this many addresses (its bitmap's size). */
const MAX_IPV6_ADDRESSES = 65536;

/**
 * Service ClusterIPs from a CIDR (`10.96.0.0/12`, `fd00:10:96::/112`). The
 * network address (and the IPv4 broadcast address) are never used. The first
 * usable address is kept for the `kubernetes` Service: `allocateNext` never
 * returns it, `allocate` grants it once, as Kubernetes' bootstrap does.
 */
export class IPRangeAllocator implements Allocator<string> {
  readonly range: string;
  readonly family: IPFamily;
  private readonly cidr: ParsedCIDR;
  /** The first usable address (network + 1). */
  private readonly base: bigint;
  private readonly bitmap: OffsetBitmap;

  constructor(range: string, options: AllocatorOptions = {}) {
    const cidr = parseCIDR(range);
    if (!cidr) throw new Error(`invalid service IP range ${JSON.stringify(range)}: must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`);
    this.cidr = cidr;
    this.family = cidr.family;
    this.range = `${formatIP({ family: cidr.family, value: cidr.network })}/${cidr.prefixLength}`;
    const total = 1n << BigInt(cidr.bits - cidr.prefixLength);
    let usable = total - 1n; // not the network address
    if (cidr.family === 'IPv4') usable -= 1n; // not the broadcast address
    else if (usable > BigInt(MAX_IPV6_ADDRESSES)) usable = BigInt(MAX_IPV6_ADDRESSES);
    const size = Number(usable < 0n ? 0n : usable);
    this.base = cidr.network + 1n;
    this.bitmap = new OffsetBitmap(size, rangeOffset(Number(total > 1n << 20n ? 1n << 20n : total), 16, 256, 16) /* the size only matters up to 256 * 16 */, withDefaults(options, this.range), new Set([0]));
  }

  /** How many addresses are free (the reserved first address counts as free until taken). */
  get free(): number {
    return this.bitmap.size - this.bitmap.used;
  }

  private offsetOf(ip: string): number | undefined {
    const parsed = parseIP(ip);
    if (!parsed || !cidrContains(this.cidr, parsed)) return undefined;
    const offset = parsed.value - this.base;
    if (offset < 0n || offset >= BigInt(this.bitmap.size)) return undefined;
    return Number(offset);
  }

  allocateNext(): string {
    const offset = this.bitmap.next();
    if (offset === undefined) throw new AllocationError('Full', 'range is full', 'Internal error occurred: failed to allocate a serviceIP: range is full');
    return formatIP({ family: this.family, value: this.base + BigInt(offset) });
  }

  allocate(ip: string): void {
    const offset = this.offsetOf(ip);
    if (offset === undefined) {
      const detail = `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.range}`;
      throw new AllocationError('NotInRange', detail, `failed to allocate IP ${ip}: ${detail}`);
    }
    if (!this.bitmap.take(offset)) {
      throw new AllocationError('Allocated', 'provided IP is already allocated', `failed to allocate IP ${ip}: provided IP is already allocated`);
    }
  }

  release(ip: string): void {
    const offset = this.offsetOf(ip);
    if (offset !== undefined) this.bitmap.release(offset);
  }

  contains(ip: string): boolean {
    return this.offsetOf(ip) !== undefined;
  }

  has(ip: string): boolean {
    const offset = this.offsetOf(ip);
    return offset !== undefined && this.bitmap.has(offset);
  }
}

/** Kubernetes' lower-band size: min(max(min, size/step), max), none for tiny ranges. */
function rangeOffset(size: number, min: number, max: number, step: number): number {
  if (size <= min) return 0;
  return Math.min(Math.max(min, Math.floor(size / step)), max);
}

/** NodePorts from a range (`30000-32767`, or a single port). */
export class PortRangeAllocator implements Allocator<number> {
  readonly range: string;
  readonly first: number;
  readonly last: number;
  private readonly bitmap: OffsetBitmap;

  constructor(range: string, options: AllocatorOptions = {}) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(range);
    const first = m ? Number(m[1]) : NaN;
    const last = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || first < 1 || last > 65535 || last < first) throw new Error(`invalid port range ${JSON.stringify(range)}: expected <first>-<last> within 1-65535`);
    this.first = first;
    this.last = last;
    this.range = first === last ? `${first}` : `${first}-${last}`;
    const size = last - first + 1;
    this.bitmap = new OffsetBitmap(size, rangeOffset(size, 16, 128, 32), withDefaults(options, this.range));
  }

  get free(): number {
    return this.bitmap.size - this.bitmap.used;
  }

  allocateNext(): number {
    const offset = this.bitmap.next();
    if (offset === undefined) throw new AllocationError('Full', 'range is full', 'Internal error occurred: failed to allocate a nodePort: range is full');
    return this.first + offset;
  }

  allocate(port: number): void {
    if (!this.contains(port)) {
      const detail = `provided port is not in the valid range. The range of valid ports is ${this.range}`;
      throw new AllocationError('NotInRange', detail, detail);
    }
    if (!this.bitmap.take(port - this.first)) throw new AllocationError('Allocated', 'provided port is already allocated', 'provided port is already allocated');
  }

  release(port: number): void {
    if (this.contains(port)) this.bitmap.release(port - this.first);
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.first && port <= this.last;
  }

  has(port: number): boolean {
    return this.contains(port) && this.bitmap.has(port - this.first);
  }
}
