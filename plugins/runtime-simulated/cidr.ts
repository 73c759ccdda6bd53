/**
 * IPv4 ranges for simulated pod IPs: each simulated node hands out addresses
 * from its own podCIDR, which by default is the node's slice of a cluster
 * range, so that 1,000 nodes get 1,000 disjoint subnets without configuration.
 * The addresses are labels only: nothing listens on them and nothing routes
 * to them.
 */

export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
}

/** Parse `a.b.c.d/n`; undefined when it is not an IPv4 CIDR. Host bits are cleared (10.1.2.3/16 is 10.1.0.0/16). */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return { base: (address & mask(prefix)) >>> 0, prefix };
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * The `index`-th subnet of size `/subnetPrefix` inside `range`, or undefined
 * when the range has fewer subnets than that.
 */
export function nthSubnet(range: Ipv4Cidr, subnetPrefix: number, index: number): Ipv4Cidr | undefined {
  if (subnetPrefix < range.prefix || subnetPrefix > 32) return undefined;
  const count = 2 ** (subnetPrefix - range.prefix);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) return undefined;
  return { base: (range.base + index * 2 ** (32 - subnetPrefix)) >>> 0, prefix: subnetPrefix };
}

/**
 * Allocates host addresses of one podCIDR: the network address, the first
 * host (kept for a gateway, as cni0 or docker0 would hold it) and the
 * broadcast address are never handed out. Next-fit, so a released address is
 * not reused at once (as host-local IPAM does), which keeps a pod's old IP
 * from being mistaken for its replacement's.
 */
export class Ipv4Pool {
  private readonly used = new Set<number>();
  private cursor = 0;
  /** Offsets from the network address that may be handed out: [first, last]. */
  private readonly first: number;
  private readonly last: number;

  constructor(readonly cidr: Ipv4Cidr) {
    const size = 2 ** (32 - cidr.prefix);
    this.first = 2;
    this.last = size - 2;
    this.cursor = this.first;
  }

  /** How many addresses the pool can hand out at most. */
  get capacity(): number {
    return Math.max(0, this.last - this.first + 1);
  }

  /** The next free address, or undefined when every one is in use. */
  allocate(): string | undefined {
    const span = this.capacity;
    for (let i = 0; i < span; i++) {
      const offset = this.cursor;
      this.cursor = offset >= this.last ? this.first : offset + 1;
      if (!this.used.has(offset)) {
        this.used.add(offset);
        return formatIpv4((this.cidr.base + offset) >>> 0);
      }
    }
    return undefined;
  }

  /** Return an address to the pool. Unknown addresses are ignored (release is idempotent). */
  release(ip: string): void {
    const parsed = parseIpv4Cidr(`${ip}/32`);
    if (!parsed) return;
    this.used.delete((parsed.base - this.cidr.base) >>> 0);
  }
}
