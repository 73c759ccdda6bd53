/**
 * Protobuf message -> the JSON Go would marshal for the same object.
 *
 * Go's rules, which the client applied before choosing protobuf:
 * - pointer fields (gogoproto nullable): absent on the wire -> absent in JSON;
 *   present -> written even when zero;
 * - value fields: always exist; dropped only with `omitempty` and an empty
 *   scalar (structs are never empty to encoding/json);
 * - slices and maps: absent -> nil -> omitted with `omitempty`, else `null`;
 * - `json:",inline"` members: their fields appear in the parent object.
 */
import type * as protobuf from 'protobufjs';
import { KubernetesProtoSchema, isGoValue, nameOf } from './schema';
import { WELL_KNOWN, NestedCodec, int64 } from './wellknown';

type Message = Record<string, unknown>;

export class MessageDecoder {
  constructor(
    private readonly schema: KubernetesProtoSchema,
    private readonly nested: NestedCodec,
  ) {}

  /** A message's JSON: an object, or a custom form (a time string, a number or string for IntOrString, ...). */
  toJson(type: protobuf.Type, message: Message): unknown {
    const has = (field: string) => Object.prototype.hasOwnProperty.call(message, field);
    const wellKnown = WELL_KNOWN[nameOf(type)];
    if (wellKnown) return wellKnown.toJson(message, has, this.nested);
    if (this.schema.isSlice(type)) {
      // A Go slice: with no items it is nil, whose JSON is null.
      const items = (message.items as unknown[] | undefined) ?? [];
      return items.length === 0 ? null : items.map((item) => this.value(type.fields.items, item));
    }
    const out: Record<string, unknown> = {};
    for (const field of type.fieldsArray) {
      const json = this.schema.jsonField(field);
      const raw = message[field.name];
      if (field.map) {
        const entries = Object.entries((raw as Record<string, unknown>) ?? {});
        if (entries.length === 0) {
          if (!json.omitempty) out[json.name] = null;
          continue;
        }
        const map: Record<string, unknown> = {};
        for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) map[k] = this.value(field, v);
        out[json.name] = map;
        continue;
      }
      if (field.repeated) {
        const items = (raw as unknown[]) ?? [];
        if (items.length === 0) {
          if (!json.omitempty) out[json.name] = null;
          continue;
        }
        out[json.name] = items.map((item) => this.value(field, item));
        continue;
      }
      const present = has(field.name);
      if (!isGoValue(field)) {
        // A Go pointer: exists exactly when it was on the wire.
        if (!present) continue;
        const value = this.value(field, raw);
        if (json.inline && value && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, value);
        else out[json.name] = value;
        continue;
      }
      // A Go value: the zero value when absent.
      const type = field.resolvedType;
      const value = present ? this.value(field, raw) : type && 'fieldsArray' in type ? this.toJson(type as protobuf.Type, {}) : zeroScalar(field);
      if (json.inline && value && typeof value === 'object' && !Array.isArray(value)) {
        Object.assign(out, value);
        continue;
      }
      if (json.omitempty && this.isEmpty(field, value)) continue;
      out[json.name] = value;
    }
    return out;
  }

  /** encoding/json's isEmptyValue for what a value field can hold: scalars and slices, never structs. */
  private isEmpty(field: protobuf.Field, value: unknown): boolean {
    const type = field.resolvedType;
    if (type && 'fieldsArray' in type) return this.schema.isSlice(type as protobuf.Type) && value === null;
    return value === '' || value === 0 || value === false || value === null;
  }

  /** One value of a field (an element, for repeated and map fields). */
  private value(field: protobuf.Field, raw: unknown): unknown {
    const type = field.resolvedType;
    if (type && 'fieldsArray' in type) return this.toJson(type as protobuf.Type, (raw ?? {}) as Message);
    switch (field.type) {
      case 'int64':
      case 'uint64':
      case 'sint64':
      case 'fixed64':
      case 'sfixed64':
        return int64(raw);
      case 'bytes':
        return Buffer.from((raw as Uint8Array) ?? []).toString('base64');
      default:
        return raw;
    }
  }
}

function zeroScalar(field: protobuf.Field): unknown {
  switch (field.type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return null; // a nil []byte
    default:
      return 0;
  }
}

