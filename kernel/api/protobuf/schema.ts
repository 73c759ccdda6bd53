/**
 * Kubernetes' protobuf schemas (extracted from kubectl by `npm run gen:api`)
 * and what the Go types add to them: the JSON name and `omitempty` of each
 * field, the message of each group/version/kind, and the messages that are Go
 * slices on the JSON side.
 */
import * as protobuf from 'protobufjs';
import { readGeneratedJson } from './generated-data';

interface GoSideTable {
  /** `apps/v1/Deployment` -> `k8s.io.api.apps.v1.Deployment` */
  kinds: Record<string, string>;
  /** message -> protobuf field -> Go `json` tag value (`volumes,omitempty`, `,inline`) */
  json: Record<string, Record<string, string>>;
  /** messages whose JSON is the array of their single `items` field (`Verbs`, `ExtraValue`) */
  slices: string[];
}

/** How a protobuf field appears in Go's JSON. */
export interface JsonField {
  readonly name: string;
  readonly omitempty: boolean;
  /** Embedded struct whose fields appear in the parent object (`json:",inline"`). */
  readonly inline: boolean;
}

export class KubernetesProtoSchema {
  readonly root: protobuf.Root;
  private readonly side: GoSideTable;
  private readonly sliceMessages: Set<string>;
  private readonly jsonFields = new Map<protobuf.Field, JsonField>();

  constructor(rootJson: protobuf.INamespace, side: GoSideTable) {
    this.root = protobuf.Root.fromJSON(rootJson);
    this.root.resolveAll();
    this.side = side;
    this.sliceMessages = new Set(side.slices);
  }

  /** The message type of a kind, or undefined when skiff has no protobuf schema for it. */
  typeForKind(apiVersion: string, kind: string): protobuf.Type | undefined {
    const name = this.side.kinds[`${apiVersion}/${kind}`];
    return name ? this.root.lookupType(name) : undefined;
  }

  /** A message type by full name (`k8s.io.apimachinery.pkg.runtime.Unknown`). */
  lookupType(fullName: string): protobuf.Type {
    return this.root.lookupType(fullName);
  }

  /** The JSON name and options of a field, from the Go struct tag (protobuf name when there is none). */
  jsonField(field: protobuf.Field): JsonField {
    let cached = this.jsonFields.get(field);
    if (!cached) {
      const owner = nameOf(field.parent as protobuf.Type);
      const tag = this.side.json[owner]?.[field.name];
      const [name, ...opts] = (tag ?? field.name).split(',');
      cached = { name: name || field.name, omitempty: opts.includes('omitempty'), inline: opts.includes('inline') };
      this.jsonFields.set(field, cached);
    }
    return cached;
  }

  /** Whether the message is a Go slice type, encoded as `{ items: [...] }`. */
  isSlice(type: protobuf.Type): boolean {
    return this.sliceMessages.has(nameOf(type));
  }
}

/** A type's full name without the leading dot (`k8s.io.api.core.v1.Pod`). */
export function nameOf(type: protobuf.ReflectionObject): string {
  return type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName;
}

/**
 * Whether a field is a Go value rather than a pointer: gogoproto
 * `nullable=false`. Pointers are absent from Go's JSON when absent on the
 * wire; values always exist (and are then subject to `omitempty`).
 */
export function isGoValue(field: protobuf.Field): boolean {
  return field.options?.['(gogoproto.nullable)'] === false;
}

let shared: KubernetesProtoSchema | undefined;

/** The schema built from the generated data, loaded on first use. */
export function kubernetesProtoSchema(): KubernetesProtoSchema {
  shared ??= new KubernetesProtoSchema(readGeneratedJson(__dirname, 'generated/k8s.json'), readGeneratedJson(__dirname, 'generated/k8s-go.json'));
  return shared;
}
