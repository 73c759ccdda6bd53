/**
 * Authentication and authorization as the API server applies them, in one
 * place for HTTP requests and for the review APIs (TokenReview,
 * SubjectAccessReview, ...), which must answer exactly as requests are judged.
 */
import type { KernelHooks } from '../hooks';
import type { AuthenticationRequest, AuthorizationAttributes, AuthorizationDecision, UserInfo } from '../auth/types';
import { AUTHENTICATED_GROUP, SYSTEM_MASTERS_GROUP } from '../auth/types';

export const ADMIN_USER: UserInfo = { name: 'system:admin', groups: [SYSTEM_MASTERS_GROUP, AUTHENTICATED_GROUP] };

export class RequestAuth {
  constructor(
    private readonly hooks: KernelHooks,
    /** The cluster admin's bearer token (kubeconfig). */
    private readonly adminToken?: string,
  ) {}

  /** The user a request runs as, or undefined when no authenticator recognises its credentials. */
  async authenticate(request: AuthenticationRequest): Promise<UserInfo | undefined> {
    const auth = request.headers.authorization;
    if (this.adminToken && auth === `Bearer ${this.adminToken}`) return ADMIN_USER;
    if (this.hooks.api.authenticate.taps.length === 0) return undefined;
    const user = await this.hooks.api.authenticate.promise(request);
    if (!user) return undefined;
    return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
  }

  /**
   * Allowed for system:masters and when no authorizer is installed (as an API
   * server without --authorization-mode); otherwise the first authorizer that
   * has an opinion decides, and none deciding is a denial.
   */
  async authorize(attributes: AuthorizationAttributes): Promise<AuthorizationDecision> {
    if (attributes.user.groups.includes(SYSTEM_MASTERS_GROUP)) return { allowed: true };
    if (this.hooks.api.authorize.taps.length === 0) return { allowed: true };
    return (await this.hooks.api.authorize.promise(attributes)) ?? { allowed: false, reason: '' };
  }

  /** Whether permissions can be listed completely (only when everything is allowed). */
  allowsEverything(user: UserInfo): boolean {
    return user.groups.includes(SYSTEM_MASTERS_GROUP) || this.hooks.api.authorize.taps.length === 0;
  }
}
