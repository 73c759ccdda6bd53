/**
 * The review APIs answer exactly as requests are judged: TokenReview through
 * the authenticators, SubjectAccessReview and SelfSubjectAccessReview through
 * the authorizers (an authorizer plugin here), SelfSubjectRulesReview honest
 * about what it cannot list.
 */
import { startCluster, TestCluster } from '../support/cluster';
import { definePlugin, Plugin } from '../../kernel/plugin';
import { HttpApiClient } from '../../kernel/client/http';

const reviews = {
  token: { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews' },
  access: { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews' },
  selfAccess: { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews' },
  rules: { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews' },
};

/** Alice may read pods in "team-a", nothing else; her token is "alice-token". */
const teamAuth = definePlugin({
  name: 'team-auth',
  apply(kernel) {
    kernel.hooks.api.authenticate.tapPromise(kernel.name, async (req) =>
      req.headers.authorization === 'Bearer alice-token' ? { name: 'alice', groups: ['team-a'] } : undefined,
    );
    kernel.hooks.api.authorize.tapPromise(kernel.name, async (a) => {
      if (a.user.name !== 'alice') return undefined;
      if (a.resource === 'pods' && a.namespace === 'team-a' && ['get', 'list', 'watch'].includes(a.verb)) return { allowed: true, reason: 'team-a reads pods' };
      if (a.apiGroup === 'authorization.k8s.io' && a.verb === 'create') return { allowed: true };
      return { allowed: false, reason: 'not on team-a\'s list' };
    });
  },
}) as Plugin<never>;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ plugins: [{ plugin: teamAuth }] });
});
afterAll(async () => cluster?.destroy());

test('TokenReview authenticates through the same authenticators as requests', async () => {
  const admin = cluster.kernel.client;
  const alice = await admin.create(reviews.token, { spec: { token: 'alice-token' } });
  expect(alice).toMatchObject({ status: { authenticated: true, user: { username: 'alice', groups: ['team-a', 'system:authenticated'] } } });
  const nobody = await admin.create(reviews.token, { spec: { token: 'made-up' } });
  expect(nobody).toMatchObject({ status: { authenticated: false } });
});

test('SubjectAccessReview asks the authorizers about another user', async () => {
  const admin = cluster.kernel.client;
  const yes = await admin.create(reviews.access, { spec: { user: 'alice', groups: ['team-a'], resourceAttributes: { namespace: 'team-a', verb: 'list', resource: 'pods' } } });
  expect(yes).toMatchObject({ status: { allowed: true, reason: 'team-a reads pods' } });
  const no = await admin.create(reviews.access, { spec: { user: 'alice', resourceAttributes: { namespace: 'team-b', verb: 'list', resource: 'pods' } } });
  expect(no).toMatchObject({ status: { allowed: false, reason: "not on team-a's list" } });
  await expect(admin.create(reviews.access, { spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } })).rejects.toMatchObject({ code: 422, reason: 'Invalid' });
});

test('a user asks about themselves over HTTPS, and sees requests judged the same way', async () => {
  const alice = new HttpApiClient({ server: cluster.url, ca: cluster.kernel.caCertificate, token: 'alice-token' });
  try {
    const own = await alice.create(reviews.selfAccess, { spec: { resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' } } });
    expect(own).toMatchObject({ status: { allowed: true } });
    const other = await alice.create(reviews.selfAccess, { spec: { resourceAttributes: { namespace: 'default', verb: 'delete', resource: 'configmaps' } } });
    expect(other).toMatchObject({ status: { allowed: false } });
    await expect(alice.list({ group: '', version: 'v1', resource: 'configmaps' }, { namespace: 'default' })).rejects.toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default": not on team-a\'s list',
    });
    const rules = await alice.create(reviews.rules, { spec: { namespace: 'team-a' } });
    expect(rules).toMatchObject({ status: { incomplete: true } });
  } finally {
    alice.close();
  }
});
