/**
 * Messages whose JSON form Go defines with custom MarshalJSON/UnmarshalJSON
 * rather than by their fields: times, durations, IntOrString, Quantity and
 * the raw-JSON carriers. Each entry converts both ways between the protobuf
 * message (as protobufjs decodes it / accepts it) and the JSON value.
 */
import { formatGoDuration, parseGoDuration } from './go-duration';

type Message = Record<string, unknown>;

/** What a nested raw object (RawExtension, runtime.Unknown) needs to be decoded. */
export interface NestedCodec {
  /** Decode bytes that are a nested object: Kubernetes protobuf (with its magic) or JSON. */
  decodeRaw(raw: Uint8Array, contentType?: string): unknown;
  /** Encode a JSON value for a RawExtension. */
  encodeRaw(value: unknown): Uint8Array;
}

export interface WellKnownType {
  toJson(message: Message, has: (field: string) => boolean, nested: NestedCodec): unknown;
  fromJson(value: unknown, where: string, nested: NestedCodec): Message;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** int64 from protobufjs: a number or a Long. */
export function int64(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value) return (value as { toNumber(): number }).toNumber();
  return Number(value ?? 0);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parse RFC 3339 to Unix seconds and nanoseconds, as Go's time.Parse(time.RFC3339, ...) accepts it. */
export function parseRfc3339(text: unknown, where: string): { seconds: number; nanos: number } {
  const m = typeof text === 'string' ? RFC3339.exec(text) : null;
  if (!m) throw new Error(`${where}: ${JSON.stringify(text)} is not an RFC 3339 time`);
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  let seconds = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    seconds -= sign * (+zone.slice(1, 3) * 3600 + +zone.slice(4, 6) * 60);
  }
  const nanos = frac ? Number(frac.slice(0, 9).padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

/** Unix seconds (+ microseconds) as Go formats UTC times: `2024-01-02T03:04:05Z`, `...05.123456Z`. */
export function formatRfc3339(seconds: number, micros?: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  if (!/^\d{4}-/.test(iso)) throw new Error(`time ${seconds}s is outside the years Kubernetes can represent`);
  const base = iso.slice(0, 19);
  return micros === undefined ? `${base}Z` : `${base}.${String(micros).padStart(6, '0')}Z`;
}

/** A metav1.Timestamp-shaped message (seconds, nanos) for a time. Zero time is the empty message. */
function timestamp(value: unknown, where: string): Message {
  if (value === null || value === undefined) return {};
  return parseRfc3339(value, where);
}

function timeToJson(message: Message, has: (f: string) => boolean, micro: boolean): unknown {
  // Go marshals the zero time as an empty message, which unmarshals to the
  // zero time, whose JSON is null.
  if (!has('seconds') && !has('nanos')) return null;
  const seconds = int64(message.seconds);
  const nanos = Number(message.nanos ?? 0);
  // metav1.Time keeps whole seconds (its Unmarshal drops nanos); MicroTime keeps microseconds.
  return micro ? formatRfc3339(seconds, Math.floor(nanos / 1000)) : formatRfc3339(seconds);
}

function bytesOf(message: Message, field: string): Uint8Array | undefined {
  const raw = message[field];
  return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined;
}

export const WELL_KNOWN: Record<string, WellKnownType> = {
  [`${META}.Time`]: {
    toJson: (m, has) => timeToJson(m, has, false),
    fromJson: (v, where) => {
      const t = timestamp(v, where);
      return 'seconds' in t ? { seconds: t.seconds, nanos: 0 } : t;
    },
  },
  [`${META}.MicroTime`]: {
    toJson: (m, has) => timeToJson(m, has, true),
    fromJson: (v, where) => {
      const t = timestamp(v, where);
      return 'seconds' in t ? { seconds: t.seconds, nanos: Math.floor(Number(t.nanos) / 1000) * 1000 } : t;
    },
  },
  [`${META}.Duration`]: {
    toJson: (m) => formatGoDuration(BigInt(String(m.duration ?? 0))),
    fromJson: (v, where) => {
      if (typeof v !== 'string') throw new Error(`${where}: a duration must be a string like "1m0s"`);
      try {
        return { duration: Number(parseGoDuration(v)) };
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    },
  },
  ['k8s.io.apimachinery.pkg.util.intstr.IntOrString']: {
    toJson: (m) => (int64(m.type) === 1 ? String(m.strVal ?? '') : Number(m.intVal ?? 0)),
    fromJson: (v, where) => {
      if (typeof v === 'number' && Number.isInteger(v)) return { type: 0, intVal: v, strVal: '' };
      if (typeof v === 'string') return { type: 1, intVal: 0, strVal: v };
      throw new Error(`${where}: ${JSON.stringify(v)} is neither an integer nor a string`);
    },
  },
  ['k8s.io.apimachinery.pkg.api.resource.Quantity']: {
    // The zero Quantity marshals as "0".
    toJson: (m) => (typeof m.string === 'string' && m.string !== '' ? m.string : '0'),
    fromJson: (v, where) => {
      if (typeof v === 'string') return { string: v };
      if (typeof v === 'number') return { string: String(v) };
      throw new Error(`${where}: ${JSON.stringify(v)} is not a quantity`);
    },
  },
  ['k8s.io.apimachinery.pkg.runtime.RawExtension']: {
    toJson: (m, _has, nested) => {
      const raw = bytesOf(m, 'raw');
      return raw ? nested.decodeRaw(raw) : null;
    },
    fromJson: (v, _where, nested) => (v === null || v === undefined ? {} : { raw: nested.encodeRaw(v) }),
  },
  [`${META}.FieldsV1`]: {
    toJson: (m, _has, nested) => {
      const raw = bytesOf(m, 'Raw');
      return raw ? nested.decodeRaw(raw, 'application/json') : null;
    },
    fromJson: (v) => (v === null || v === undefined ? {} : { Raw: Buffer.from(JSON.stringify(v)) }),
  },
  ['k8s.io.apimachinery.pkg.runtime.Unknown']: {
    toJson: (m, _has, nested) => {
      const raw = bytesOf(m, 'raw');
      return raw ? nested.decodeRaw(raw, typeof m.contentType === 'string' ? m.contentType : undefined) : null;
    },
    fromJson: (v, _where, nested) => ({ typeMeta: {}, raw: nested.encodeRaw(v), contentEncoding: '', contentType: 'application/json' }),
  },
};
