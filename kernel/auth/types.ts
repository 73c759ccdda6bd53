/**
 * Identity and access decisions: what the `authenticate` and `authorize` hooks
 * exchange. Shaped like Kubernetes' user.Info and authorizer.Attributes so an
 * RBAC, webhook or OIDC plugin maps onto them directly.
 */

/** Who a request runs as (Kubernetes user.Info). */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What an authenticator sees of a request. Headers are lower-cased. */
export interface AuthenticationRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The peer's verified TLS client certificate, when the client sent one. */
  readonly clientCertificate?: { subject: { CN?: string; O?: string | string[] }; fingerprint256: string };
  readonly remoteAddress?: string;
}

/** What an authorizer decides on (Kubernetes authorizer.Attributes). */
export interface AuthorizationAttributes {
  readonly user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection; or an HTTP verb for non-resource URLs. */
  readonly verb: string;
  readonly resourceRequest: boolean;
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** For non-resource requests (`/healthz`, `/version`). */
  readonly path?: string;
}

/** An authorizer's answer. No answer (undefined) means "no opinion": the next authorizer decides. */
export type AuthorizationDecision =
  | { readonly allowed: true; readonly reason?: string }
  | { readonly allowed: false; readonly reason: string };

/** The identity in-process components use when they call the API directly. */
export const SYSTEM_MASTERS_GROUP = 'system:masters';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const ANONYMOUS_USER = 'system:anonymous';
