import { formatGoDuration, parseGoDuration } from '../../../../kernel/api/protobuf';
import { WELL_KNOWN, NestedCodec } from '../../../../kernel/api/protobuf/wellknown';

// Outputs of Go's time.Duration.String for these values.
const formatted: Array<[bigint, string]> = [
  [0n, '0s'],
  [1n, '1ns'],
  [1_100n, '1.1µs'],
  [2_200_000n, '2.2ms'],
  [100_000_000n, '100ms'],
  [1_500_000_000n, '1.5s'],
  [60_000_000_000n, '1m0s'],
  [61_000_000_001n, '1m1.000000001s'],
  [3_600_000_000_000n, '1h0m0s'],
  [5_400_000_000_000n, '1h30m0s'],
  [-1_500_000_000n, '-1.5s'],
  [90_061_000_000_000n, '25h1m1s'],
];

describe('Go durations', () => {
  it.each(formatted)('%p formats as %s and parses back', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
    expect(parseGoDuration(text)).toBe(ns);
  });

  it.each([
    ['1h30m', 5_400_000_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['300ms', 300_000_000n],
    ['2us', 2_000n],
    ['2μs', 2_000n],
    ['+5s', 5_000_000_000n],
    ['0', 0n],
  ])('parses %s', (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  it.each(['', '1', '1x', '.s', 'h', '1h-2m'])('rejects %p', (text) => {
    expect(() => parseGoDuration(text)).toThrow(/invalid duration/);
  });

  it('is the JSON form of metav1.Duration', () => {
    const duration = WELL_KNOWN['k8s.io.apimachinery.pkg.apis.meta.v1.Duration'];
    const nested = {} as NestedCodec;
    expect(duration.toJson({ duration: 90_000_000_000 }, () => true, nested)).toBe('1m30s');
    expect(duration.fromJson('1m30s', 'spec.timeout', nested)).toEqual({ duration: 90_000_000_000 });
    expect(() => duration.fromJson(90, 'spec.timeout', nested)).toThrow(/spec.timeout: a duration must be a string/);
  });
});
