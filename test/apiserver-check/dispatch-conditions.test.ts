/**
 * CLUSTER-NOTES 1.12 item 8 through the stand-in: a false matchCondition
 * skips the webhook; an evaluation error fails the request with 403 under
 * Fail (the webhook is not called) and skips it under Ignore; false beats
 * errors; all true calls it. Conditions are evaluated only after rules and
 * selectors matched.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allow } from './helpers/fake-webhook.js';
import { makeConfig, pod, POD_KIND, PODS, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('matchConditions in dispatch');
const ERROR = "object.metadata.labels['missing'] == 'x'";

const cases: [string, string[], 'Fail' | 'Ignore', 'called' | 'skipped' | 403][] = [
  ['all true: called', ['true', 'request.namespace == "default"'], 'Fail', 'called'],
  ['one false: skipped', ['true', 'request.namespace != "default"'], 'Fail', 'skipped'],
  ['error under Fail: 403, not called', ['true', ERROR], 'Fail', 403],
  ['error under Ignore: skipped', ['true', ERROR], 'Ignore', 'skipped'],
  ['false beats an error under Fail', [ERROR, 'false'], 'Fail', 'skipped'],
];

for (const [name, expressions, failurePolicy, expected] of cases) {
  test(name, async () => {
    const matchConditions = expressions.map((expression, i) => ({ name: `c${i}`, expression }));
    await withHarness(
      { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { matchConditions, failurePolicy })])], script: (req) => allow(req) },
      async ({ api, server }) => {
        const result = await api.admit({ operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') });
        if (expected === 403) {
          assert.not.ok(result.allowed);
          if (!result.allowed) {
            assert.is(result.status.code, 403);
            assert.is(result.status.reason, 'Forbidden');
            assert.match(result.status.message, /^pods "p" is forbidden: /);
          }
        } else {
          assert.ok(result.allowed, JSON.stringify(result));
        }
        assert.is(server.requests.length, expected === 'called' ? 1 : 0);
      },
    );
  });
}

test('conditions are not evaluated when the rules do not match', async () => {
  const matchConditions = [{ name: 'broken', expression: ERROR }];
  await withHarness(
    { configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { matchConditions })])], script: (req) => allow(req) },
    async ({ api, server }) => {
      const result = await api.admit({
        operation: 'CREATE',
        resource: { group: '', version: 'v1', resource: 'configmaps' },
        kind: { group: '', version: 'v1', kind: 'ConfigMap' },
        namespace: 'default',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
      });
      assert.ok(result.allowed, 'an error in an unmatched webhook does not fail the request');
      assert.is(server.requests.length, 0);
    },
  );
});

test.run();
