/**
 * The protobuf schemas skiff decodes Kubernetes' wire format with, as
 * protobufjs JSON, plus what the Go types add to them (k8s-go.json): JSON
 * names and omitempty from struct tags, which message each kind is, and which
 * messages are Go slices in disguise (`Verbs`, `ExtraValue`).
 */
import { createRequire } from 'node:module';
import { forEachMessage } from './descriptors.mjs';
import { messageNameOf, sortKeys } from './schemas.mjs';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');
const descriptor = require('protobufjs/ext/descriptor');

/** The descriptor files a set of files needs, in dependency order, the files themselves included. */
export function withDependencies(files, names) {
  const out = [];
  const visit = (name) => {
    if (out.includes(name)) return;
    const fd = files.get(name);
    if (!fd) return; // gogo.proto: options only, no types
    for (const d of fd.dependency) visit(d);
    out.push(name);
  };
  for (const n of names) visit(n);
  return out;
}

/**
 * protobufjs JSON for a set of FileDescriptorProtos. Fields keep the one
 * gogoproto option decoding needs: `(gogoproto.nullable) = false` marks Go
 * value fields (always present in Go, so zero values are real values), its
 * absence a Go pointer (absent on the wire = absent in JSON).
 */
export function protobufJson(fileDescriptors) {
  const set = descriptor.FileDescriptorSet.create({
    file: fileDescriptors.map((fd) => {
      const copy = descriptor.FileDescriptorProto.fromObject(descriptor.FileDescriptorProto.toObject(fd));
      return copy;
    }),
  });
  const root = protobuf.Root.fromDescriptor(set);
  root.resolveAll();
  const json = root.toJSON();
  for (const fd of fileDescriptors) {
    forEachMessage(fd.package, fd.messageType, (full, msg) => {
      if (msg.options?.mapEntry) return; // protobufjs turns these into map fields
      const node = lookup(json, full);
      for (const f of msg.field ?? []) {
        if (f.gogo?.nullable === false) {
          const jf = node.fields[f.name];
          jf.options = { ...(jf.options ?? {}), '(gogoproto.nullable)': false };
        }
      }
    });
  }
  // protobufjs keeps the descriptors' field order (which encoding follows), deterministic as it is.
  return json;
}

function lookup(json, fullName) {
  let node = json;
  for (const part of fullName.split('.')) node = node.nested[part];
  return node;
}

/**
 * @param {object} input
 * @param {any[]} input.fileDescriptors the files in k8s.json
 * @param {Map<string, Map<string, import('./struct-tags.mjs').FieldTag>>} input.tags
 * @param {Map<string, any>} input.goStructs
 * @param {Record<string, any>} input.definitions generated schemas (for the GVK index)
 */
export function goSideTable({ fileDescriptors, tags, goStructs, definitions }) {
  const messages = new Set();
  const json = {};
  const slices = [];
  for (const fd of fileDescriptors) {
    forEachMessage(fd.package, fd.messageType, (full, msg) => {
      messages.add(full);
      if (msg.options?.mapEntry) return;
      const t = tags.get(full);
      if (t && t.size > 0) {
        json[full] = {};
        for (const f of msg.field) {
          const tag = t.get(f.name);
          if (tag) json[full][f.name] = jsonTagValue(tag);
        }
      }
      // `type Verbs []string` is encoded as a message with one repeated `items`
      // field, but its JSON is the bare array. There is no Go struct for it.
      const goPackage = fd.options?.goPackage;
      const only = msg.field.length === 1 ? msg.field[0] : undefined;
      if (only && only.name === 'items' && only.number === 1 && only.label === 'LABEL_REPEATED' && !goStructs.has(`${goPackage}.${msg.name}`)) {
        slices.push(full);
      }
    });
  }
  const kinds = {};
  for (const [name, def] of Object.entries(definitions)) {
    const message = messageNameOf(name);
    if (!message || !messages.has(message)) continue;
    for (const g of def['x-kubernetes-group-version-kind'] ?? []) kinds[`${g.group ? `${g.group}/` : ''}${g.version}/${g.kind}`] = message;
  }
  return sortKeys({ kinds, json, slices: slices.sort() });
}

/** The Go `json:"..."` value again: `containers`, `volumes,omitempty`, `,inline`. */
function jsonTagValue(tag) {
  const m = /(?:^| )json:"([^"]*)"/.exec(tag.tag);
  return m ? m[1] : tag.json;
}

/**
 * protobufjs JSON for gnostic's OpenAPIv2.proto, read from the binary. It
 * imports google/protobuf/any.proto, whose descriptor kubectl does not embed;
 * protobufjs ships that well-known type (\`protobuf.common\`).
 */
export function openApiV2Json(openapiFd) {
  const anyFd = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/any.proto')).toDescriptor('proto3').file[0];
  anyFd.name = 'google/protobuf/any.proto';
  const root = protobuf.Root.fromDescriptor(descriptor.FileDescriptorSet.create({ file: [anyFd, openapiFd] }));
  return root.toJSON();
}
