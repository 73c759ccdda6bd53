/**
 * Go struct tags of the Kubernetes API types, read from the binary, and mapped
 * onto the protobuf descriptors' fields. They carry what neither the
 * descriptors nor kubernetes-types have: the JSON name and `omitempty`, and
 * Kubernetes' own strategic-merge-patch metadata (`patchStrategy`,
 * `patchMergeKey`) and, on newer types, `listType` / `listMapKey`.
 */
import { forEachMessage } from './descriptors.mjs';

const PROTOBUF_KEY = Buffer.from('protobuf:"');
const TAG_SYNTAX = /^(?:[A-Za-z_][A-Za-z0-9_]*:"(?:[^"\\]|\\.)*"(?: |$))+$/;

/**
 * Parse a Go struct tag the way reflect.StructTag.Get reads it.
 * @returns {Record<string, string>}
 */
export function parseStructTag(tag) {
  const out = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*):"((?:[^"\\]|\\.)*)"/g;
  for (let m; (m = re.exec(tag)); ) out[m[1]] = m[2];
  return out;
}

/**
 * What one struct tag says about one field.
 * @typedef {{ tag: string, goName: string, json: string, omitempty: boolean, inline: boolean,
 *   protoName: string, number: number, wire: string, label: string,
 *   patchStrategy?: string, patchMergeKey?: string, listType?: string, listMapKeys?: string[] }} FieldTag
 * @returns {FieldTag | undefined}
 */
export function fieldTag(goName, tag) {
  const kv = parseStructTag(tag);
  if (kv.protobuf === undefined) return undefined;
  // `bytes,2,rep,name=containers,casttype=...`; the label is missing on some Kubernetes tags.
  const [wire, number, ...rest] = kv.protobuf.split(',');
  const label = rest.find((r) => r === 'opt' || r === 'rep' || r === 'req') ?? 'opt';
  const opts = Object.fromEntries(rest.filter((r) => r.includes('=')).map((r) => [r.slice(0, r.indexOf('=')), r.slice(r.indexOf('=') + 1)]));
  const [json = '', ...jsonOpts] = (kv.json ?? '').split(',');
  /** @type {FieldTag} */
  const out = {
    tag,
    goName,
    json: json || goName,
    omitempty: jsonOpts.includes('omitempty'),
    inline: jsonOpts.includes('inline'),
    protoName: opts.name ?? '',
    number: Number(number),
    wire,
    label,
  };
  if (kv.patchStrategy) out.patchStrategy = kv.patchStrategy;
  if (kv.patchMergeKey) out.patchMergeKey = kv.patchMergeKey;
  if (kv.listType) out.listType = kv.listType;
  if (kv.listMapKey) out.listMapKeys = kv.listMapKey.split(',');
  return out;
}

/**
 * Every distinct (Go field name, tag) pair with a `protobuf:` key, found by
 * scanning `.rodata` for abi.Name records (flags, varint length, name, varint
 * length, tag). The linker stores each distinct name+tag once, however many
 * structs use it.
 * @param {import('./go-types.mjs').GoTypes} go
 * @returns {FieldTag[]}
 */
export function scanStructTags(go) {
  const buf = go.buf;
  const { offset, size, addr } = go.rodata;
  const seen = new Map();
  let unparsed = 0;
  for (let p = buf.indexOf(PROTOBUF_KEY, offset); p >= 0 && p < offset + size; p = buf.indexOf(PROTOBUF_KEY, p + 1)) {
    let found;
    // The name record starts before the tag: try each start within reach and
    // keep the first that decodes to a name whose tag covers this occurrence.
    for (let s = p - 3; s > p - 700 && !found; s--) {
      const flags = buf[s];
      if (!(flags & 2) || flags > 0x0f) continue;
      const name = go.readName(s - offset + addr);
      if (!name || !name.tag || !/^[A-Za-z_]\w*$/.test(name.name) || !TAG_SYNTAX.test(name.tag)) continue;
      const tagStart = buf.indexOf(Buffer.from(name.tag, 'latin1'), s);
      if (tagStart < 0 || tagStart > p || tagStart + name.tag.length <= p) continue;
      found = name;
    }
    if (!found) {
      unparsed++;
      continue;
    }
    const t = fieldTag(found.name, found.tag);
    if (t) seen.set(`${found.name} ${found.tag}`, t);
  }
  const tags = [...seen.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.goName < b.goName ? -1 : 1));
  tags.unparsed = unparsed;
  return tags;
}

/** The facts a tag contributes to the generated data; tags agreeing on these are interchangeable. */
function meaning(t) {
  return JSON.stringify([t.json, t.omitempty, t.inline, t.patchStrategy, t.patchMergeKey, t.listType, t.listMapKeys]);
}

/** Which descriptor field types each struct-tag wire type can encode. */
const WIRE_TYPES = {
  varint: ['TYPE_INT32', 'TYPE_INT64', 'TYPE_UINT32', 'TYPE_UINT64', 'TYPE_SINT32', 'TYPE_SINT64', 'TYPE_BOOL', 'TYPE_ENUM'],
  zigzag32: ['TYPE_SINT32'],
  zigzag64: ['TYPE_SINT64'],
  bytes: ['TYPE_STRING', 'TYPE_BYTES', 'TYPE_MESSAGE'],
  fixed64: ['TYPE_DOUBLE', 'TYPE_FIXED64', 'TYPE_SFIXED64'],
  fixed32: ['TYPE_FLOAT', 'TYPE_FIXED32', 'TYPE_SFIXED32'],
  group: ['TYPE_GROUP'],
};

const isRepeated = (f) => f.label === 'LABEL_REPEATED';

/**
 * Map struct tags onto descriptor fields.
 *
 * Candidates for a descriptor field are the tags with its protobuf name and
 * number and the same repeatedness (then, if none, any repeatedness: a few
 * Kubernetes tags say `opt` on a slice). One candidate is a match. Several
 * candidates that agree on everything we use are a match too. Otherwise the
 * field is ambiguous, and the owner struct in Go's type information decides:
 * the Go struct with the message's name in its go_package, and its field with
 * that protobuf number. Unique matches are cross-checked the same way.
 *
 * @param {Map<string, any>} files FileDescriptorProtos by name
 * @param {FieldTag[]} tags
 * @param {Map<string, import('./go-types.mjs').GoType>} goStructs
 * @returns {{ byMessage: Map<string, Map<string, FieldTag>>, report: object }}
 */
export function matchTagsToDescriptors(files, tags, goStructs) {
  const byKey = new Map();
  for (const t of tags) {
    const key = `${t.protoName}#${t.number}`;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(t);
  }
  const report = { fields: 0, unique: 0, equivalent: 0, ambiguous: [], resolvedByGoTypes: 0, namelessResolvedByGoTypes: [], unresolved: [], untagged: 0, disagreements: [], noGoStruct: new Set() };
  const byMessage = new Map();
  for (const fd of files.values()) {
    const goPackage = fd.options?.goPackage ?? fd.name.replace(/\/generated\.proto$/, '');
    forEachMessage(fd.package, fd.messageType, (full, msg) => {
      if (msg.options?.mapEntry) return;
      const goStruct = goStructs.get(`${goPackage}.${full.slice(fd.package.length + 1).replace(/\./g, '_')}`);
      const fieldsOut = new Map();
      for (const f of msg.field) {
        report.fields++;
        const all = byKey.get(`${f.name}#${f.number}`) ?? [];
        // Wire type and label narrow the candidates when any agree with the
        // descriptor; some Kubernetes tags have them wrong (`bytes` on a bool,
        // `opt` on a slice), so they cannot rule a tag out.
        const wireOk = (t) => WIRE_TYPES[t.wire]?.includes(f.type);
        const labelOk = (t) => (t.label === 'rep') === isRepeated(f);
        const narrowed = [all.filter((t) => wireOk(t) && labelOk(t)), all.filter(labelOk), all.filter(wireOk)].find((c) => c.length > 0);
        const candidates = narrowed ?? all;
        // Within one struct the protobuf number identifies the field (some tags, on inline members, carry no name).
        const fromGo = goStruct?.fields.map((g) => g.tag && fieldTag(g.name, g.tag)).find((t) => t && t.number === f.number && (t.protoName === f.name || t.protoName === ''));
        if (!goStruct && candidates.length > 0) report.noGoStruct.add(full);
        let chosen;
        const meanings = new Set(candidates.map(meaning));
        if (candidates.length === 0) {
          // Tags of inline members name no protobuf field (`protobuf:"bytes,1,req"`): only the owner struct knows.
          if (fromGo) {
            report.namelessResolvedByGoTypes.push(`${full}.${f.name}: ${fromGo.tag}`);
            fieldsOut.set(f.name, fromGo);
          } else report.untagged++;
          continue;
        } else if (candidates.length === 1 || meanings.size === 1) {
          chosen = candidates[0];
          if (candidates.length === 1) report.unique++;
          else report.equivalent++;
          if (fromGo && meaning(fromGo) !== meaning(chosen)) report.disagreements.push(`${full}.${f.name}: tag match ${chosen.tag} but Go type says ${fromGo.tag}`);
          if (fromGo) chosen = fromGo;
        } else {
          const entry = { field: `${full}.${f.name}`, candidates: candidates.map((c) => c.tag) };
          report.ambiguous.push(entry);
          if (fromGo) {
            chosen = fromGo;
            entry.resolved = fromGo.tag;
            report.resolvedByGoTypes++;
          } else {
            report.unresolved.push(entry);
            continue;
          }
        }
        fieldsOut.set(f.name, chosen);
      }
      byMessage.set(full, fieldsOut);
    });
  }
  return { byMessage, report };
}
