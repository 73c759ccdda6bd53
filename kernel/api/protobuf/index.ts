/**
 * Kubernetes' protobuf wire format for request (and, later, response) bodies:
 * `k8s\0` + a runtime.Unknown envelope whose `raw` is the object's message.
 * kubectl 1.32 and later send typed objects this way.
 */
import { ApiError } from '../errors';
import type { KubeObject } from '../types';
import { kubernetesProtoSchema } from './schema';
import { MessageDecoder } from './decode';
import { MessageEncoder } from './encode';
import type { NestedCodec } from './wellknown';

export { formatGoDuration, parseGoDuration } from './go-duration';

export const KUBERNETES_PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"
const UNKNOWN = 'k8s.io.apimachinery.pkg.runtime.Unknown';

interface Unknown {
  typeMeta?: { apiVersion?: string; kind?: string };
  raw?: Uint8Array;
  contentEncoding?: string;
  contentType?: string;
}

const nested: NestedCodec = {
  decodeRaw(raw, contentType) {
    const bytes = Buffer.from(raw);
    if (bytes.subarray(0, 4).equals(MAGIC)) return decodeKubernetesProtobuf(bytes);
    if (contentType && contentType !== 'application/json') throw ApiError.badRequest(`cannot decode an embedded object of content type ${contentType}`);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw ApiError.badRequest(`embedded object is neither Kubernetes protobuf nor JSON: ${(err as Error).message}`);
    }
  },
  encodeRaw(value) {
    return Buffer.from(JSON.stringify(value));
  },
};

/**
 * Decode a Kubernetes protobuf body into the JSON object the client would
 * have sent as JSON. Throws ApiError (400 BadRequest) for anything that is not
 * a well-formed object of a kind skiff has a protobuf schema for.
 */
export function decodeKubernetesProtobuf(body: Buffer): KubeObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw ApiError.badRequest('the body is not Kubernetes protobuf: it does not start with the "k8s\\x00" prefix');
  }
  const schema = kubernetesProtoSchema();
  let envelope: Unknown;
  try {
    envelope = schema.lookupType(UNKNOWN).decode(body.subarray(MAGIC.length)) as unknown as Unknown;
  } catch (err) {
    throw ApiError.badRequest(`malformed Kubernetes protobuf envelope: ${(err as Error).message}`);
  }
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  if (!kind) throw ApiError.badRequest("Object 'Kind' is missing in the protobuf envelope");
  if (!apiVersion) throw ApiError.badRequest("Object 'apiVersion' is missing in the protobuf envelope");
  if (envelope.contentEncoding) throw ApiError.badRequest(`unsupported protobuf content encoding ${JSON.stringify(envelope.contentEncoding)}`);
  if (envelope.contentType && envelope.contentType !== KUBERNETES_PROTOBUF) {
    throw ApiError.badRequest(`unsupported content type ${JSON.stringify(envelope.contentType)} inside the protobuf envelope`);
  }
  const type = schema.typeForKind(apiVersion, kind);
  if (!type) throw ApiError.badRequest(`no kind "${kind}" is registered for version "${apiVersion}" in skiff's protobuf schemas`);
  let message: Record<string, unknown>;
  try {
    message = type.decode(envelope.raw ?? new Uint8Array()) as unknown as Record<string, unknown>;
  } catch (err) {
    throw ApiError.badRequest(`malformed ${kind} in Kubernetes protobuf: ${(err as Error).message}`);
  }
  const json = new MessageDecoder(schema, nested).toJson(type, message) as Record<string, unknown>;
  return { kind, apiVersion, ...json };
}

/** Encode an object (with apiVersion and kind) as Kubernetes protobuf, the inverse of decodeKubernetesProtobuf. */
export function encodeKubernetesProtobuf(object: KubeObject): Buffer {
  const { apiVersion, kind } = object;
  if (!apiVersion || !kind) throw new Error('protobuf: an object needs apiVersion and kind to be encoded');
  const schema = kubernetesProtoSchema();
  const type = schema.typeForKind(apiVersion, kind);
  if (!type) throw new Error(`protobuf: no protobuf schema for ${apiVersion}, Kind=${kind}`);
  const message = new MessageEncoder(schema, nested).fromJson(type, object, kind);
  const raw = type.encode(message).finish();
  const envelope = schema.lookupType(UNKNOWN).encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }).finish();
  return Buffer.concat([MAGIC, envelope]);
}

/** Whether a body looks like Kubernetes protobuf (starts with the magic prefix). */
export function isKubernetesProtobuf(body: Buffer): boolean {
  return body.length >= MAGIC.length && body.subarray(0, MAGIC.length).equals(MAGIC);
}
