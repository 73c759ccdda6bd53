/**
 * Protobuf file descriptors compiled into kubectl.
 *
 * gogo-generated code (all of k8s.io/api and k8s.io/apimachinery) registers
 * each generated.proto as a gzipped FileDescriptorProto; protoc-gen-go code
 * (gnostic's openapiv2/OpenAPIv2.proto) embeds it raw. Both are read straight
 * out of the binary here; nothing is taken from anywhere else.
 */
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');
const descriptor = require('protobufjs/ext/descriptor');

export const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
/** Older kubectl builds (1.27) registered descriptors under the vendor path. */
const VENDOR_PREFIX = 'k8s.io/kubernetes/vendor/';

/** gogoproto FieldOptions extensions (github.com/gogo/protobuf/gogoproto/gogo.proto). */
const GOGO_FIELD_OPTIONS = {
  65001: ['nullable', 'bool'],
  65002: ['embed', 'bool'],
  65003: ['customtype', 'string'],
  65004: ['customname', 'string'],
  65005: ['jsontag', 'string'],
  65006: ['moretags', 'string'],
  65007: ['casttype', 'string'],
  65008: ['castkey', 'string'],
  65009: ['castvalue', 'string'],
};

/**
 * Inflate exactly one gzip member starting at `at`, or undefined when the
 * bytes there are not one. (zlib's gunzip would run on into the next member:
 * the descriptors sit back to back in the binary.) The trailer's length must
 * match what was inflated.
 * @param {Buffer} buf
 * @param {number} at offset of the gzip magic (1f 8b 08)
 * @returns {Buffer | undefined}
 */
export function gzipMember(buf, at) {
  const flags = buf[at + 3];
  if (flags & 0xe0) return undefined;
  let p = at + 10;
  if (flags & 4) p += 2 + buf.readUInt16LE(p); // FEXTRA
  if (flags & 8) p = buf.indexOf(0, p) + 1; // FNAME
  if (flags & 16) p = buf.indexOf(0, p) + 1; // FCOMMENT
  if (flags & 2) p += 2; // FHCRC
  let result;
  try {
    result = zlib.inflateRawSync(buf.subarray(p, p + (4 << 20)), { info: true, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return undefined; // three bytes that merely look like a gzip header
  }
  const end = p + result.engine.bytesWritten;
  if (end + 8 > buf.length || buf.readUInt32LE(end + 4) !== result.buffer.length >>> 0) return undefined;
  if (zlib.crc32 && zlib.crc32(result.buffer) !== buf.readUInt32LE(end)) return undefined;
  return result.buffer;
}

function decodeFileDescriptor(bytes) {
  const reader = protobuf.Reader.create(bytes);
  // Keep unknown fields: the gogoproto options we need are extensions that
  // descriptor.proto does not declare.
  reader.discardUnknown = false;
  return descriptor.FileDescriptorProto.decode(reader);
}

/** The gogoproto options of a field, parsed from the unknown fields of its FieldOptions. */
function gogoOptions(options) {
  const out = {};
  for (const chunk of options?.$unknowns ?? []) {
    const r = protobuf.Reader.create(chunk);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const known = GOGO_FIELD_OPTIONS[tag >>> 3];
      if (!known) {
        r.skipType(tag & 7);
        continue;
      }
      out[known[0]] = known[1] === 'bool' ? r.bool() : r.string();
    }
  }
  return out;
}

/**
 * Every `k8s.io/...` FileDescriptorProto registered in the binary, by file
 * name (vendor prefix removed), each message field annotated with `gogo`
 * (its gogoproto options: nullable, customname, casttype, ...).
 * @param {import('./elf.mjs').ElfFile} elf
 */
export function kubernetesFileDescriptors(elf) {
  const buf = elf.buf;
  const files = new Map();
  for (let i = buf.indexOf(GZIP_MAGIC); i >= 0; i = buf.indexOf(GZIP_MAGIC, i + 1)) {
    const bytes = gzipMember(buf, i);
    if (!bytes || bytes[0] !== 0x0a) continue; // FileDescriptorProto starts with field 1 (name)
    let fd;
    try {
      fd = decodeFileDescriptor(bytes);
    } catch {
      continue;
    }
    const name = fd.name.startsWith(VENDOR_PREFIX) ? fd.name.slice(VENDOR_PREFIX.length) : fd.name;
    if (!name.startsWith('k8s.io/')) continue;
    fd.name = name;
    fd.dependency = fd.dependency.map((d) => (d.startsWith(VENDOR_PREFIX) ? d.slice(VENDOR_PREFIX.length) : d));
    forEachMessage(fd.package, fd.messageType, (_full, msg) => {
      for (const f of msg.field) {
        f.gogo = gogoOptions(f.options);
        f.type = enumName(descriptor.FieldDescriptorProto.Type, f.type);
        f.label = enumName(descriptor.FieldDescriptorProto.Label, f.label);
      }
    });
    if (files.has(name)) continue; // identical copies linked twice
    files.set(name, fd);
  }
  if (files.size === 0) throw new Error(`${elf.path}: no k8s.io protobuf descriptors found`);
  return files;
}

/** Decoded enums are numbers; name them (`TYPE_MESSAGE`, `LABEL_REPEATED`) for readable code. */
function enumName(values, n) {
  return typeof n === 'string' ? n : Object.keys(values).find((k) => values[k] === n);
}

/** Visit every message, nested ones included, with its full name (`k8s.io.api.core.v1.PodSpec`). */
export function forEachMessage(prefix, messages, visit) {
  for (const m of messages) {
    const full = `${prefix}.${m.name}`;
    visit(full, m);
    forEachMessage(full, m.nestedType ?? [], visit);
  }
}

/**
 * A descriptor protoc-gen-go embeds raw (not gzipped): gnostic's
 * openapiv2/OpenAPIv2.proto and google/protobuf/any.proto, which it imports.
 * Its extent is found by parsing fields until the `syntax` field protoc
 * writes last.
 * @param {import('./elf.mjs').ElfFile} elf
 * @param {string} name file name, e.g. `openapiv2/OpenAPIv2.proto`
 */
export function rawFileDescriptor(elf, name) {
  const head = Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name, 'latin1')]);
  for (let start = elf.buf.indexOf(head); start >= 0; start = elf.buf.indexOf(head, start + 1)) {
    const r = protobuf.Reader.create(elf.buf.subarray(start, start + (1 << 20)));
    let ok = false;
    try {
      for (;;) {
        const tag = r.uint32();
        const field = tag >>> 3;
        if (field < 1 || field > 14 || ![0, 2].includes(tag & 7)) break;
        r.skipType(tag & 7);
        if (field === 12) {
          ok = true;
          break;
        }
      }
    } catch {
      continue;
    }
    if (!ok) continue;
    const fd = descriptor.FileDescriptorProto.decode(elf.buf.subarray(start, start + r.pos));
    if (fd.name === name && fd.syntax === 'proto3') return fd;
  }
  throw new Error(`${elf.path}: raw descriptor ${name} not found`);
}
