/**
 * matchConditions at the unit level (CLUSTER-NOTES 1.5): false skips
 * whatever the errors; errors with nothing false fail (Fail) or skip
 * (Ignore); all true matches. And the documented CEL subset.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateCondition, evaluateMatchConditions } from '../apiserver/match-conditions.js';

const test = suite('match conditions');
const request = { namespace: 'shop', name: 'p', operation: 'CREATE', 'kind.kind': 'Pod' };
const cond = (name: string, expression: string) => ({ name, expression });
const ERROR = "object.metadata.labels['missing'] == 'x'";

test('the CEL subset', () => {
  assert.equal(evaluateCondition('true', request), { ok: true, value: true });
  assert.equal(evaluateCondition(' false ', request), { ok: true, value: false });
  assert.equal(evaluateCondition('request.namespace == "shop"', request), { ok: true, value: true });
  assert.equal(evaluateCondition("request.namespace != 'shop'", request), { ok: true, value: false });
  assert.equal(evaluateCondition('request.kind.kind == "Pod"', request), { ok: true, value: true });
  assert.is(evaluateCondition('request.nope == "x"', request).ok, false);
  assert.is(evaluateCondition(ERROR, request).ok, false);
});

const cases: [string, string[], 'Fail' | 'Ignore', string][] = [
  ['all true: call', ['true', 'request.operation == "CREATE"'], 'Fail', 'matches'],
  ['one false: skip', ['true', 'false'], 'Fail', 'skip'],
  ['false beats an error under Fail', [ERROR, 'false'], 'Fail', 'skip'],
  ['error and true under Fail: error', [ERROR, 'true'], 'Fail', 'error'],
  ['error and true under Ignore: skip', [ERROR, 'true'], 'Ignore', 'skip'],
];
for (const [name, expressions, policy, expected] of cases) {
  test(name, () => {
    const result = evaluateMatchConditions(expressions.map((e, i) => cond(`c${i}`, e)), request, policy);
    assert.is(result.kind, expected);
  });
}

test('the false condition is named', () => {
  assert.equal(evaluateMatchConditions([cond('a', 'true'), cond('b', 'false')], request, 'Fail'), { kind: 'skip', failedCondition: 'b' });
});

test.run();
