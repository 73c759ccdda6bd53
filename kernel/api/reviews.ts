/**
 * The review APIs: resources without storage whose `create` returns an
 * answer. `kubectl auth can-i` (SelfSubjectAccessReview, and
 * SelfSubjectRulesReview for `--list`), `kubectl auth whoami`
 * (SelfSubjectReview), and the TokenReview / SubjectAccessReview that
 * webhooks and aggregated servers use.
 */
import type { AuthorizationAttributes, UserInfo } from '../auth/types';
import { ApiError, FieldError } from './errors';
import type { RequestAuth } from './auth';
import type { ResourceDefinition, ReviewHandler } from './resource';
import type { KubeObject } from './types';

export interface ReviewContext {
  readonly user: UserInfo;
  /** The namespace of the request (LocalSubjectAccessReview). */
  readonly namespace?: string;
  readonly auth: RequestAuth;
}

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

interface AccessSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

function attributesFor(user: UserInfo, spec: AccessSpec, kind: string): AuthorizationAttributes {
  const r = spec.resourceAttributes;
  const n = spec.nonResourceAttributes;
  if (!!r === !!n) {
    throw ApiError.invalid(kind, 'authorization.k8s.io', '', [FieldError.invalid('spec', '', 'exactly one of nonResourceAttributes or resourceAttributes must be specified')]);
  }
  if (r) {
    return { user, verb: r.verb ?? '', resourceRequest: true, apiGroup: r.group ?? '', apiVersion: r.version, resource: r.resource ?? '', subresource: r.subresource || undefined, namespace: r.namespace || undefined, name: r.name || undefined };
  }
  return { user, verb: n!.verb ?? '', resourceRequest: false, path: n!.path ?? '' };
}

async function accessStatus(auth: RequestAuth, attributes: AuthorizationAttributes) {
  const decision = await auth.authorize(attributes);
  return decision.allowed ? { allowed: true, ...(decision.reason ? { reason: decision.reason } : {}) } : { allowed: false, ...(decision.reason ? { reason: decision.reason } : {}) };
}

/** authentication.k8s.io UserInfo, as reviews report it. */
function userInfoOf(u: UserInfo): object {
  return { username: u.name, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra ? { extra: u.extra } : {}) };
}

/** The user a SubjectAccessReview asks about. */
function subjectOf(s: AccessSpec): UserInfo {
  return { name: s.user ?? '', uid: s.uid, groups: s.groups ?? [], extra: s.extra };
}

function spec(object: KubeObject): AccessSpec {
  return ((object as { spec?: AccessSpec }).spec ?? {}) as AccessSpec;
}


const selfSubjectReview: ReviewHandler = {
  async create(object, ctx) {
    const u = ctx.user;
    return { ...object, status: { userInfo: userInfoOf(u) } };
  },
};

export function reviewResources(): ResourceDefinition[] {
  return [
    reviewResource('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', false, {
      async create(object, ctx) {
        const status = await accessStatus(ctx.auth, attributesFor(ctx.user, spec(object), 'SelfSubjectAccessReview'));
        return { ...object, status };
      },
    }),
    reviewResource('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', false, {
      async create(object, ctx) {
        // Rules can be listed only when everything is allowed; authorizer plugins cannot enumerate theirs.
        const all = ctx.auth.allowsEverything(ctx.user);
        const status = all
          ? {
              resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
              nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
              incomplete: false,
            }
          : { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'the installed authorizers cannot list rules' };
        return { ...object, status };
      },
    }),
    reviewResource('authorization.k8s.io', 'v1', 'SubjectAccessReview', false, {
      async create(object, ctx) {
        const s = spec(object);
        if (!s.user && !(s.groups ?? []).length) {
          throw ApiError.invalid('SubjectAccessReview', 'authorization.k8s.io', '', [FieldError.invalid('spec.user', '', 'at least one of user or group must be specified')]);
        }
        return { ...object, status: await accessStatus(ctx.auth, attributesFor(subjectOf(s), s, 'SubjectAccessReview')) };
      },
    }),
    reviewResource('authorization.k8s.io', 'v1', 'LocalSubjectAccessReview', true, {
      async create(object, ctx) {
        const s = spec(object);
        if (s.resourceAttributes && s.resourceAttributes.namespace !== ctx.namespace) {
          throw ApiError.invalid('LocalSubjectAccessReview', 'authorization.k8s.io', '', [
            FieldError.invalid('spec.resourceAttributes.namespace', s.resourceAttributes.namespace ?? '', 'must match metadata.namespace'),
          ]);
        }
        return { ...object, status: await accessStatus(ctx.auth, attributesFor(subjectOf(s), s, 'LocalSubjectAccessReview')) };
      },
    }),
    reviewResource('authentication.k8s.io', 'v1', 'SelfSubjectReview', false, selfSubjectReview),
    // kubectl 1.27 asks for `auth whoami` in v1beta1 only (v1 is GA from 1.28).
    reviewResource('authentication.k8s.io', 'v1beta1', 'SelfSubjectReview', false, selfSubjectReview),
    reviewResource('authentication.k8s.io', 'v1', 'TokenReview', false, {
      async create(object, ctx) {
        const token = (object as { spec?: { token?: string } }).spec?.token;
        if (!token) throw ApiError.invalid('TokenReview', 'authentication.k8s.io', '', [FieldError.required('spec.token')]);
        let user: UserInfo | undefined;
        try {
          user = await ctx.auth.authenticate({ headers: { authorization: `Bearer ${token}` } });
        } catch (err) {
          // A rejected token is an answer ("not authenticated"), not a failure of the review.
          if (!(err instanceof ApiError)) throw err;
          return { ...object, status: { authenticated: false, error: err.message } };
        }
        if (!user) return { ...object, status: { authenticated: false } };
        return {
          ...object,
          status: { authenticated: true, user: userInfoOf(user) },
        };
      },
    }),
  ];
}

/** A review resource: cluster-scoped unless said otherwise, `create` only, no storage. */
function reviewResource(group: string, version: string, kind: string, namespaced: boolean, review: ReviewHandler): ResourceDefinition {
  const plural = `${kind.toLowerCase()}s`;
  return { group, version, kind, plural, singular: kind.toLowerCase(), namespaced, verbs: ['create'], review };
}
