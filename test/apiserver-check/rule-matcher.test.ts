/**
 * CLUSTER-NOTES 1.12 items 2 and 3 at the unit level: resource patterns
 * with the subresource semantics of 1.2 (corrected for `pods/*`, see the
 * case), operations, groups, versions and
 * scope (a Namespace is Cluster-scoped). dispatch-matching.test.ts checks
 * the same through the stand-in.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ruleMatches } from '../apiserver/rule-matcher.js';
import type { RuleSubject } from '../apiserver/rule-matcher.js';
import type { RuleScope } from '../apiserver/webhook-configuration.js';

const test = suite('rule matching');

const subjects = new Map<string, RuleSubject>(Object.entries({
  pod: { operation: 'CREATE', resource: { group: '', version: 'v1', resource: 'pods' }, subResource: '', namespace: 'default' },
  podStatus: { operation: 'UPDATE', resource: { group: '', version: 'v1', resource: 'pods' }, subResource: 'status', namespace: 'default' },
  ephemeral: { operation: 'UPDATE', resource: { group: '', version: 'v1', resource: 'pods' }, subResource: 'ephemeralcontainers', namespace: 'default' },
  deployment: { operation: 'CREATE', resource: { group: 'apps', version: 'v1', resource: 'deployments' }, subResource: '', namespace: 'default' },
  deploymentScale: { operation: 'UPDATE', resource: { group: 'apps', version: 'v1', resource: 'deployments' }, subResource: 'scale', namespace: 'default' },
  deploymentStatus: { operation: 'UPDATE', resource: { group: 'apps', version: 'v1', resource: 'deployments' }, subResource: 'status', namespace: 'default' },
  // A Namespace request carries its own name as namespace but is cluster-scoped.
  namespace: { operation: 'CREATE', resource: { group: '', version: 'v1', resource: 'namespaces' }, subResource: '', namespace: 'team' },
  node: { operation: 'CREATE', resource: { group: '', version: 'v1', resource: 'nodes' }, subResource: '', namespace: '' },
} satisfies Record<string, RuleSubject>));
const all = [...subjects.keys()];

function rule(resources: string[], extra: { operations?: string[]; apiGroups?: string[]; apiVersions?: string[]; scope?: RuleScope } = {}) {
  return { operations: extra.operations ?? ['*'], apiGroups: extra.apiGroups ?? ['*'], apiVersions: extra.apiVersions ?? ['*'], resources, scope: extra.scope ?? '*' };
}

const cases: [string, ReturnType<typeof rule>, string[]][] = [
  ['pods: the main resource only', rule(['pods']), ['pod']],
  ['*: every resource, no subresources', rule(['*']), ['pod', 'deployment', 'namespace', 'node']],
  ['*/*: everything', rule(['*/*']), all],
  // CLUSTER-NOTES 1.2 says "but not pods itself"; upstream rules.go (sub == "*" also matches "") and its
  // rules_test.go case "r & subresources" say pods/* matches pods too. The stand-in follows upstream.
  ['pods/*: pods and every pods subresource', rule(['pods/*']), ['pod', 'podStatus', 'ephemeral']],
  ['*/scale', rule(['*/scale']), ['deploymentScale']],
  ['pods/ephemeralcontainers (kubectl debug)', rule(['pods/ephemeralcontainers']), ['ephemeral']],
  ['pods + pods/ephemeralcontainers', rule(['pods', 'pods/ephemeralcontainers']), ['pod', 'ephemeral']],
  ['deployments misses status and scale', rule(['deployments']), ['deployment']],
  ['apiGroups [""] is the core group', rule(['*'], { apiGroups: [''] }), ['pod', 'namespace', 'node']],
  ['apiGroups [apps]', rule(['*/*'], { apiGroups: ['apps'] }), ['deployment', 'deploymentScale', 'deploymentStatus']],
  ['apiVersions [v1beta1] matches no v1 request', rule(['*/*'], { apiVersions: ['v1beta1'] }), []],
  ['operations [CREATE]', rule(['*/*'], { operations: ['CREATE'] }), ['pod', 'deployment', 'namespace', 'node']],
  ['operations [UPDATE]', rule(['*/*'], { operations: ['UPDATE'] }), ['podStatus', 'ephemeral', 'deploymentScale', 'deploymentStatus']],
  ['operations [DELETE, CONNECT]', rule(['*/*'], { operations: ['DELETE', 'CONNECT'] }), []],
  ['scope Namespaced: never a Namespace, never cluster-scoped', rule(['*'], { scope: 'Namespaced' }), ['pod', 'deployment']],
  ['scope Cluster: Namespace objects and cluster-scoped kinds', rule(['*'], { scope: 'Cluster' }), ['namespace', 'node']],
  ['scope Cluster on subresources of namespaced kinds', rule(['*/*'], { scope: 'Cluster' }), ['namespace', 'node']],
];

for (const [name, r, expected] of cases) {
  test(name, () => {
    const matched = all.filter((name) => {
      const subject = subjects.get(name);
      return subject !== undefined && ruleMatches(r, subject);
    });
    assert.equal(matched, expected);
  });
}

test.run();
