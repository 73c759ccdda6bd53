/**
 * The seam between the REST storage and managedFields tracking (server-side
 * apply). Every write records which manager owns which fields; apply patches
 * merge by ownership.
 */
import type { KubeObject, StoredObject } from './types';

export interface FieldManagerWrite {
  /** The object before the write (undefined on create). */
  readonly old: StoredObject | undefined;
  /** The object about to be written; its managedFields are updated in place or replaced. */
  readonly object: KubeObject;
  readonly manager: string;
  readonly subresource?: string;
  readonly now: Date;
}

export interface FieldManagerApply {
  readonly live: StoredObject | undefined;
  /** The applied configuration (already parsed from YAML/JSON). */
  readonly applied: KubeObject;
  readonly manager: string;
  readonly force: boolean;
  readonly subresource?: string;
  readonly now: Date;
  /** The group/version/kind the object is served as. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface FieldManager {
  /** Record an ordinary write (create, update, non-apply patch) as operation Update. Returns the object to store. */
  update(write: FieldManagerWrite): KubeObject;
  /** Merge an applied configuration into the live object (Apply), or throw an ApiError 409 on conflicts. Returns the object to store. */
  apply(request: FieldManagerApply): KubeObject;
}
