/**
 * The OpenAPI documents the server publishes, built once from the served
 * resources and their schemas (and rebuilt if resources change), with stable
 * hashes so kubectl's cache stays valid across restarts.
 */

export interface OpenApiV3Document {
  readonly body: string;
  readonly etag: string;
}

export interface OpenApiV2Document {
  readonly etag: string;
  json(): string;
  /** gnostic `openapi.v2.Document` encoding, which kubectl asks for. */
  protobuf(): Buffer;
}

export interface OpenApiService {
  /** GET /openapi/v3: `{ paths: { "api/v1": { serverRelativeURL } } }`. */
  v3Index(): object;
  /** GET /openapi/v3/<path> (`api/v1`, `apis/apps/v1`). */
  v3Document(path: string): OpenApiV3Document | undefined;
  /** GET /openapi/v2. */
  v2(): OpenApiV2Document;
}
