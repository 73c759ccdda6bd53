/**
 * JSON -> protobuf message, the inverse of decode.ts, written the way Go's
 * gogo-generated marshallers write: value fields always (zero when absent
 * from the JSON), pointers only when set, inline members from the parent
 * object. Fields the message does not have are an error: this encodes objects
 * the server itself produced, where that is a bug.
 */
import type * as protobuf from 'protobufjs';
import { KubernetesProtoSchema, isGoValue, nameOf } from './schema';
import { WELL_KNOWN, NestedCodec } from './wellknown';

type Message = Record<string, unknown>;

export class MessageEncoder {
  constructor(
    private readonly schema: KubernetesProtoSchema,
    private readonly nested: NestedCodec,
  ) {}

  /** The protobufjs message (plain object) for a JSON value of `type`. */
  fromJson(type: protobuf.Type, value: unknown, where: string): Message {
    const wellKnown = WELL_KNOWN[nameOf(type)];
    if (wellKnown) return wellKnown.fromJson(value, where, this.nested);
    if (this.schema.isSlice(type)) {
      if (value !== null && value !== undefined && !Array.isArray(value)) throw new Error(`${where}: expected an array`);
      return { items: ((value as unknown[] | null) ?? []).map((v, i) => this.value(type.fields.items, v, `${where}[${i}]`)) };
    }
    if (value === null || value === undefined) value = {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected an object`);
    const json = value as Record<string, unknown>;
    const used = new Set<string>();
    const out = this.fields(type, json, where, used);
    const unknown = Object.keys(json).filter((k) => !used.has(k) && k !== 'apiVersion' && k !== 'kind');
    if (unknown.length > 0) throw new Error(`${where}: ${nameOf(type)} has no field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
    return out;
  }

  /** Fields of `type` taken from `json`, recording which JSON keys were used (inline members share the object). */
  private fields(type: protobuf.Type, json: Record<string, unknown>, where: string, used: Set<string>): Message {
    const out: Message = {};
    for (const field of type.fieldsArray) {
      const info = this.schema.jsonField(field);
      if (info.inline) {
        const inner = field.resolvedType as protobuf.Type;
        out[field.name] = this.fields(inner, json, where, used);
        continue;
      }
      const path = `${where}.${info.name}`;
      const v = json[info.name];
      if (info.name in json) used.add(info.name);
      if (field.map) {
        if (v === null || v === undefined) continue;
        if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${path}: expected an object`);
        const map: Record<string, unknown> = {};
        for (const [k, item] of Object.entries(v as Record<string, unknown>)) map[k] = this.value(field, item, `${path}.${k}`);
        out[field.name] = map;
      } else if (field.repeated) {
        if (v === null || v === undefined) continue;
        if (!Array.isArray(v)) throw new Error(`${path}: expected an array`);
        out[field.name] = v.map((item, i) => this.value(field, item, `${path}[${i}]`));
      } else if (v === undefined || (v === null && !isWellKnownNull(field))) {
        // Absent: a Go pointer stays nil; a Go value is written as its zero value.
        if (isGoValue(field)) {
          const zeroValue = this.value(field, undefined, path);
          if (zeroValue !== undefined) out[field.name] = zeroValue;
        }
      } else {
        out[field.name] = this.value(field, v, path);
      }
    }
    return out;
  }

  private value(field: protobuf.Field, v: unknown, where: string): unknown {
    const type = field.resolvedType;
    if (type && 'fieldsArray' in type) return this.fromJson(type as protobuf.Type, v, where);
    if (v === undefined || v === null) return zero(field);
    switch (field.type) {
      case 'string':
        if (typeof v !== 'string') throw new Error(`${where}: expected a string`);
        return v;
      case 'bool':
        if (typeof v !== 'boolean') throw new Error(`${where}: expected a boolean`);
        return v;
      case 'bytes':
        if (typeof v !== 'string') throw new Error(`${where}: expected base64 data`);
        return Buffer.from(v, 'base64');
      case 'double':
      case 'float':
        if (typeof v !== 'number') throw new Error(`${where}: expected a number`);
        return v;
      default:
        if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${where}: expected an integer`);
        return v;
    }
  }
}

/** Fields whose JSON null means something (the zero time, an empty raw object): encode them, do not skip. */
function isWellKnownNull(field: protobuf.Field): boolean {
  const type = field.resolvedType;
  return !!type && 'fieldsArray' in type && nameOf(type) in WELL_KNOWN && isGoValue(field);
}

function zero(field: protobuf.Field): unknown {
  switch (field.type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return undefined; // a nil []byte is not written
    default:
      return 0;
  }
}
