/**
 * The OpenAPI service the API server publishes: the documents for the
 * resources served at boot, reporting the Kubernetes version skiff implements.
 */
import type { ResourceRegistry } from '../registry';
import type { SchemaRegistry } from './schemas';
import type { OpenApiService } from './service';
import { OpenApiDocuments } from './documents';
import { versionInfo } from '../version';

export function createOpenApiService(resources: ResourceRegistry, schemas: SchemaRegistry): OpenApiService {
  return new OpenApiDocuments(resources.list(), schemas, { version: versionInfo().gitVersion });
}
