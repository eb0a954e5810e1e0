/**
 * metav1.LabelSelector semantics used by namespaceSelector and
 * objectSelector (CLUSTER-NOTES 1.4): matchLabels, In, NotIn, Exists,
 * DoesNotExist, all requirements ANDed, empty matches everything.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isEmptySelector, matchesLabelSelector } from '../apiserver/label-selector.js';
import type { LabelSelector } from '../apiserver/webhook-configuration.js';

const test = suite('label selectors');

const labels = { env: 'prod', team: 'a', 'kubernetes.io/metadata.name': 'shop' };

const cases: [string, LabelSelector, Record<string, string>, boolean][] = [
  ['empty selector matches anything', {}, labels, true],
  ['empty selector matches no labels', { matchLabels: {}, matchExpressions: [] }, {}, true],
  ['matchLabels equal', { matchLabels: { env: 'prod' } }, labels, true],
  ['matchLabels different value', { matchLabels: { env: 'dev' } }, labels, false],
  ['matchLabels missing key', { matchLabels: { tier: 'web' } }, labels, false],
  ['In', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] }, labels, true],
  ['In, value not listed', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, labels, false],
  ['In, key absent', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, labels, false],
  ['NotIn, value listed', { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['shop', 'kube-system'] }] }, labels, false],
  ['NotIn, value not listed', { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] }, labels, true],
  ['NotIn, key absent matches', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels, true],
  ['Exists', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, labels, true],
  ['Exists, absent', { matchExpressions: [{ key: 'opt-out', operator: 'Exists' }] }, labels, false],
  ['DoesNotExist', { matchExpressions: [{ key: 'opt-out', operator: 'DoesNotExist' }] }, labels, true],
  ['DoesNotExist, present (even empty value)', { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, { x: '' }, false],
  [
    'all requirements must hold',
    { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['b'] }] },
    labels,
    false,
  ],
];

for (const [name, selector, given, expected] of cases) {
  test(name, () => assert.is(matchesLabelSelector(selector, given), expected));
}

test('isEmptySelector', () => {
  assert.ok(isEmptySelector({}));
  assert.ok(isEmptySelector({ matchLabels: null, matchExpressions: [] }));
  assert.not.ok(isEmptySelector({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }));
});

test.run();
