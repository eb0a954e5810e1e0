/**
 * The pure renewal decision (src/core/certificate-renewal.ts; its test lives
 * here with the rest of the certificate tests). Table-driven.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { needsRenewal, planCertificates, renewalTime } from '../../src/core/certificate-renewal.js';
import type { CaCondition, CertificatePlan, ServingCondition, Validity } from '../../src/core/certificate-renewal.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const CA: Validity = { notBefore: T0, notAfter: T0 + 300 * DAY };
const SERVING: Validity = { notBefore: T0, notAfter: T0 + 30 * DAY };

const timing = suite('renewalTime / needsRenewal');

timing('renewal is due when a third of the lifetime remains', () => {
  assert.is(renewalTime(SERVING), T0 + 20 * DAY);
  assert.not.ok(needsRenewal(SERVING, T0 + 20 * DAY - 1));
  assert.ok(needsRenewal(SERVING, T0 + 20 * DAY));
  assert.ok(needsRenewal(SERVING, T0 + 31 * DAY), 'expired');
  assert.is(renewalTime(SERVING, 0.5), T0 + 15 * DAY);
});

timing('a zero or inverted lifetime is always due at notAfter', () => {
  assert.is(renewalTime({ notBefore: T0 + DAY, notAfter: T0 }), T0);
});
timing.run();

const plan = suite('planCertificates');

const present = (validity: Validity): CaCondition & ServingCondition => ({ state: 'present', validity });
const rows: Array<[label: string, ca: CaCondition, serving: ServingCondition, now: number, expected: CertificatePlan]> = [
  ['nothing stored', { state: 'missing' }, { state: 'missing' }, T0, { action: 'new-ca', reason: 'ca-missing', keepOldCa: false }],
  ['CA key does not match', { state: 'unusable' }, present(SERVING), T0, { action: 'new-ca', reason: 'ca-unusable', keepOldCa: false }],
  ['CA due, still valid: keep it in the bundle', present(CA), present(SERVING), T0 + 200 * DAY, { action: 'new-ca', reason: 'ca-expiring', keepOldCa: true }],
  ['CA expired: do not keep it', present(CA), present(SERVING), T0 + 301 * DAY, { action: 'new-ca', reason: 'ca-expiring', keepOldCa: false }],
  ['serving missing', present(CA), { state: 'missing' }, T0, { action: 'issue-serving', reason: 'missing' }],
  ['serving for other names', present(CA), { state: 'names-differ' }, T0, { action: 'issue-serving', reason: 'names-differ' }],
  ['serving from another CA', present(CA), { state: 'other-issuer' }, T0, { action: 'issue-serving', reason: 'other-issuer' }],
  ['serving unusable', present(CA), { state: 'unusable' }, T0, { action: 'issue-serving', reason: 'unusable' }],
  ['serving due', present(CA), present(SERVING), T0 + 20 * DAY, { action: 'issue-serving', reason: 'expiring' }],
  ['all good: reuse until the serving renewal', present(CA), present(SERVING), T0 + DAY, { action: 'reuse', renewAt: T0 + 20 * DAY }],
  [
    'all good: reuse until the CA renewal when it comes first',
    present({ notBefore: T0 - 190 * DAY, notAfter: T0 + 110 * DAY }),
    present(SERVING),
    T0 + DAY,
    { action: 'reuse', renewAt: T0 + 10 * DAY },
  ],
];
for (const [label, ca, serving, now, expected] of rows) {
  plan(label, () => {
    assert.equal(planCertificates(ca, serving, now), expected);
  });
}
plan.run();
