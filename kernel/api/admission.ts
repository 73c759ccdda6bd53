/**
 * Admission: what the `admission.mutate` and `admission.validate` hooks see,
 * shaped like Kubernetes' admission.Attributes / AdmissionReview request.
 */
import type { UserInfo } from '../auth/types';
import type { KubeObject } from './types';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest {
  readonly operation: AdmissionOperation;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly user: UserInfo;
  readonly dryRun: boolean;
  /**
   * The object being written. Mutating admission may change it in place;
   * validating admission must not. Absent on DELETE.
   */
  object?: KubeObject;
  /** The stored object on UPDATE and DELETE. Never mutate. */
  readonly oldObject?: KubeObject;
}

/** A validating or mutating admission plugin's refusal. No answer (undefined) means allowed. */
export interface AdmissionDenial {
  readonly allowed: false;
  /** Shown to the user: `admission webhook "x" denied the request: <message>`-style text. */
  readonly message: string;
  /** HTTP status for the refusal; 403 Forbidden by default, 422 for Invalid. */
  readonly code?: number;
}
