/**
 * ClusterIP and NodePort allocators: order, exhaustion, specific requests,
 * release, and Kubernetes' messages.
 */
import { AllocationError, IPRangeAllocator, PortRangeAllocator } from '../../../../kernel/api/resources/allocators';

function failure(fn: () => unknown): AllocationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AllocationError) return err;
    throw err;
  }
  throw new Error('expected an AllocationError');
}

describe('IPRangeAllocator', () => {
  test('normalises the range and reports its family', () => {
    const a = new IPRangeAllocator('10.96.0.1/12');
    expect(a.range).toBe('10.96.0.0/12');
    expect(a.family).toBe('IPv4');
    expect(new IPRangeAllocator('fd00:10:96::/112').family).toBe('IPv6');
    expect(() => new IPRangeAllocator('10.96.0.0')).toThrow('invalid service IP range "10.96.0.0"');
  });

  test('sequential order skips the network address and the kubernetes Service address', () => {
    const a = new IPRangeAllocator('10.96.0.0/24', { order: 'sequential' });
    expect([a.allocateNext(), a.allocateNext(), a.allocateNext()]).toEqual(['10.96.0.2', '10.96.0.3', '10.96.0.4']);
  });

  test('the first address is granted once on request (for the kubernetes Service)', () => {
    const a = new IPRangeAllocator('10.96.0.0/12');
    a.allocate('10.96.0.1');
    expect(a.has('10.96.0.1')).toBe(true);
    expect(failure(() => a.allocate('10.96.0.1')).detail).toBe('provided IP is already allocated');
  });

  test('random order prefers the upper band, is spread out, and repeats for a seed', () => {
    const take = (seed: number) => {
      const a = new IPRangeAllocator('10.96.0.0/16', { seed });
      return Array.from({ length: 20 }, () => a.allocateNext());
    };
    const first = take(7);
    expect(take(7)).toEqual(first);
    expect(take(8)).not.toEqual(first);
    expect(new Set(first).size).toBe(20);
    // The lower band (the first 256 addresses after the network address) is kept for explicit requests.
    for (const ip of first) expect(ip.startsWith('10.96.0.') || ip === '10.96.1.0').toBe(false);
  });

  test('a small range fills up, then reports range is full; released addresses come back', () => {
    // A /29 has 6 usable addresses; the first is the kubernetes Service's.
    const a = new IPRangeAllocator('192.168.0.0/29');
    const got = Array.from({ length: 5 }, () => a.allocateNext()).sort();
    expect(got).toEqual(['192.168.0.2', '192.168.0.3', '192.168.0.4', '192.168.0.5', '192.168.0.6']);
    const full = failure(() => a.allocateNext());
    expect(full.code).toBe(500);
    expect(full.message).toBe('Internal error occurred: failed to allocate a serviceIP: range is full');
    a.release('192.168.0.4');
    a.release('192.168.0.4');
    expect(a.allocateNext()).toBe('192.168.0.4');
  });

  test.each(['192.168.0.0', '192.168.0.7', '10.0.0.1', 'fd00::1', 'nonsense'])('%s is outside 192.168.0.0/29', (ip) => {
    const a = new IPRangeAllocator('192.168.0.0/29');
    expect(a.contains(ip)).toBe(false);
    const err = failure(() => a.allocate(ip));
    expect(err.code).toBe(422);
    expect(err.detail).toBe(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is 192.168.0.0/29`);
    a.release(ip); // releasing what is not ours is a no-op
  });

  test('specific requests, has and contains', () => {
    const a = new IPRangeAllocator('10.96.0.0/12', { order: 'sequential' });
    a.allocate('10.96.0.10');
    expect(a.has('10.96.0.10')).toBe(true);
    expect(a.has('10.96.0.11')).toBe(false);
    expect(a.contains('10.111.255.254')).toBe(true);
    expect(a.contains('10.112.0.1')).toBe(false);
    const taken = failure(() => a.allocate('10.96.0.10'));
    expect([taken.code, taken.reason, taken.detail]).toEqual([422, 'Invalid', 'provided IP is already allocated']);
  });

  test('IPv6 ranges', () => {
    const a = new IPRangeAllocator('fd00:10:96::/120', { order: 'sequential' });
    expect(a.allocateNext()).toBe('fd00:10:96::2');
    a.allocate('fd00:10:96::ff');
    expect(a.has('fd00:10:96:0:0:0:0:ff')).toBe(true);
  });
});

describe('PortRangeAllocator', () => {
  test('the default range and sequential order', () => {
    const a = new PortRangeAllocator('30000-32767', { order: 'sequential' });
    expect(a.range).toBe('30000-32767');
    expect([a.allocateNext(), a.allocateNext()]).toEqual([30000, 30001]);
  });

  test('random order keeps the lower band free and repeats for a seed', () => {
    const a = new PortRangeAllocator('30000-32767', { seed: 1 });
    const b = new PortRangeAllocator('30000-32767', { seed: 1 });
    const ports = Array.from({ length: 50 }, () => a.allocateNext());
    expect(Array.from({ length: 50 }, () => b.allocateNext())).toEqual(ports);
    // 2768 ports: Kubernetes keeps the first 86 for explicit requests.
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(30086);
  });

  test('exhaustion, release and reuse', () => {
    const a = new PortRangeAllocator('30000-30002');
    const got = [a.allocateNext(), a.allocateNext(), a.allocateNext()].sort();
    expect(got).toEqual([30000, 30001, 30002]);
    expect(failure(() => a.allocateNext()).message).toBe('Internal error occurred: failed to allocate a nodePort: range is full');
    a.release(30001);
    expect(a.allocateNext()).toBe(30001);
  });

  test('specific requests', () => {
    const a = new PortRangeAllocator('30000-32767');
    a.allocate(30080);
    expect(a.has(30080)).toBe(true);
    expect(failure(() => a.allocate(30080)).message).toBe('provided port is already allocated');
    expect(failure(() => a.allocate(8080)).message).toBe('provided port is not in the valid range. The range of valid ports is 30000-32767');
    expect(failure(() => a.allocate(32768)).reason).toBe('Invalid');
    expect(a.contains(32767)).toBe(true);
    expect(a.contains(29999)).toBe(false);
  });

  test('bad ranges are refused', () => {
    expect(() => new PortRangeAllocator('32767-30000')).toThrow('invalid port range');
    expect(() => new PortRangeAllocator('lots')).toThrow('invalid port range');
    expect(new PortRangeAllocator('30000').range).toBe('30000');
  });
});
