import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allowed, denied, encodeBase64, encodeUtf8Base64, parseAdmissionReview, patched } from '../../src/core/admission-review.js';
import { addOp } from '../../src/core/json-patch.js';
import { fixturePath, isRecord, readJsonFixture, valueAt, wrapRequest } from './k8s-fixtures.js';

function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Error('fixture is not an object');
  return value;
}

const parse = suite('parseAdmissionReview');

parse('the pepr captures, wrapped, are readable requests with their unknown fields', () => {
  for (const name of ['create-pod', 'create-deployment', 'delete-pod']) {
    const raw = readJsonFixture(`admission/pepr-admission-${name}.json`);
    const got = parseAdmissionReview(wrapRequest(raw));
    if (got.kind !== 'request') throw new Error(`${name}: ${got.kind}`);
    assert.is(got.request.uid, valueAt(raw, '/uid'));
    assert.ok(['CREATE', 'DELETE'].includes(got.request.operation));
  }
  const del = parseAdmissionReview(wrapRequest(readJsonFixture('admission/pepr-admission-delete-pod.json')));
  assert.ok(del.kind === 'request' && del.request.object === null && del.request.oldObject !== null);
  // Loose: unknown request fields survive.
  const extra = parseAdmissionReview(
    wrapRequest({ ...record(readJsonFixture('admission/pepr-admission-create-pod.json')), futureField: { a: 1 } }),
  );
  assert.ok(extra.kind === 'request');
  assert.equal(extra.request['futureField'], { a: 1 });
});

parse('the docs example (UPDATE of deployments/scale) is a readable request', () => {
  const text = readFileSync(fixturePath('admission/v1-request-update-deployment-scale.yaml'), 'utf8');
  const got = parseAdmissionReview(parseYaml(text));
  if (got.kind !== 'request') throw new Error(got.kind);
  assert.is(got.request.subResource, 'scale');
  assert.equal(got.request.kind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  assert.is(got.request.dryRun, false);
});

parse('the kubernetes/api round-trip review (placeholder values) is answerable but malformed', () => {
  const got = parseAdmissionReview(readJsonFixture('kubernetes-api/admission.k8s.io.v1.AdmissionReview.json'));
  assert.is(got.kind, 'malformed');
  assert.ok(got.kind === 'malformed' && got.uid === 'uidValue');
  assert.ok(got.kind === 'malformed' && /operation/.test(got.problem), 'names the bad field');
});

const unanswerable: readonly [string, unknown][] = [
  ['null', null],
  ['an array', []],
  ['a string', 'AdmissionReview'],
  ['v1beta1', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u' } }],
  ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }],
  ['no uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }],
  ['empty uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: '' } }],
  ['a response', readJsonFixture('admission/v1-response-allow-minimal.json')],
];
for (const [name, body] of unanswerable) {
  parse(`unanswerable: ${name}`, () => assert.is(parseAdmissionReview(body).kind, 'unanswerable'));
}

const malformed: readonly [string, Record<string, unknown>][] = [
  ['unknown operation', { operation: 'PATCH' }],
  ['kind missing', { kind: undefined }],
  ['dryRun not a boolean', { dryRun: 'yes' }],
];
for (const [name, change] of malformed) {
  parse(`malformed, still answered with its uid: ${name}`, () => {
    const base = record(readJsonFixture('admission/pepr-admission-create-deployment.json'));
    const got = parseAdmissionReview(wrapRequest({ ...base, ...change }));
    assert.is(got.kind, 'malformed');
    assert.ok(got.kind === 'malformed' && got.uid === base.uid);
  });
}

const respond = suite('responses');
const UID = '<value from request.uid>';

function golden(name: string): unknown {
  return readJsonFixture(`admission/${name}`);
}

respond('allowed matches the docs', () => assert.equal(allowed(UID), golden('v1-response-allow-minimal.json')));

respond('allowed with warnings matches the docs', () => {
  const warnings = [
    'duplicate envvar entries specified with name MY_ENV',
    'memory request less than 4MB specified for container mycontainer, which will not start successfully',
  ];
  assert.equal(allowed(UID, warnings), golden('v1-response-allow-warnings.json'));
});

respond('denied matches the docs', () => {
  const message = 'You cannot do this because it is Tuesday and your name starts with A';
  assert.equal(denied(UID, message, 403), golden('v1-response-forbid-status-403.json'));
  assert.is(denied(UID, 'x', 200).response.status?.code, 403, 'a code below 400 would become 400 anyway');
  assert.is(denied(UID, 'x', 503).response.status?.code, 503);
});

respond('patched matches the docs (same JSON once decoded)', () => {
  const want = golden('v1-response-allow-jsonpatch.json');
  const wantPatch = String(valueAt(want, '/response/patch'));
  const got = patched(UID, [addOp('/spec/replicas', 3)]);
  assert.equal(JSON.parse(Buffer.from(got.response.patch ?? '', 'base64').toString('utf8')), [
    { op: 'add', path: '/spec/replicas', value: 3 },
  ]);
  assert.equal(JSON.parse(Buffer.from(wantPatch, 'base64').toString('utf8')), [
    { op: 'add', path: '/spec/replicas', value: 3 },
  ]);
  assert.equal({ ...got.response, patch: wantPatch }, valueAt(want, '/response'));
});

respond('an empty patch is a plain allow (patch and patchType come together or not at all)', () => {
  assert.equal(patched('u', [], ['w']), allowed('u', ['w']));
});

respond('UTF-8 in patch values survives base64', () => {
  const got = patched('u', [addOp('/metadata/annotations/x', 'é ✓ 🐳')]);
  assert.equal(JSON.parse(Buffer.from(got.response.patch ?? '', 'base64').toString('utf8')), [
    { op: 'add', path: '/metadata/annotations/x', value: 'é ✓ 🐳' },
  ]);
});

respond('encodeBase64 agrees with Buffer on every length and byte', () => {
  for (let length = 0; length < 300; length += 1) {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length * 11) & 0xff);
    assert.is(encodeBase64(bytes), Buffer.from(bytes).toString('base64'), `length ${length}`);
  }
});

respond('encodeUtf8Base64 agrees with Buffer for ASCII, non-ASCII and control characters', () => {
  const samples = ['', 'a', '[{"op":"replace"}]', '\u0000\u007f', 'é', 'x\u0080y', '✓ 🐳 \ud83d', 'ascii then é'.repeat(500)];
  for (const text of samples) assert.is(encodeUtf8Base64(text), Buffer.from(text, 'utf8').toString('base64'), text.slice(0, 20));
});

parse.run();
respond.run();
