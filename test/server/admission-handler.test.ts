/**
 * The admission handler with a fake ImageMirror: every shared fixture gets a
 * well-formed answer with its uid; patches apply (independent applier) and
 * change only image paths and the annotation; 400s; degraded answers
 * (pending, failed, mirror errors, a mirror that never answers); strict
 * mode; dry run; the API server's ?timeout= shortening the deadline; one
 * log line per admission.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toBackupRef } from '../../src/core/backup-naming.js';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import type { MutationPolicy } from '../../src/core/mutation-policy.js';
import { formatImageRef, parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import { INTERNAL_ERROR_MESSAGE, createAdmissionHandler } from '../../src/server/admission-handler.js';
import type { HttpAnswer } from '../../src/server/admission-handler.js';
import { ENSURE_GRACE_MS } from '../../src/server/ensure-within.js';
import { createLogger } from '../../src/server/logger.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { applyPatch } from '../core/apply-patch.js';
import { isRecord, listFixtures, readJsonFixture, readYamlFixture, reviewFor, valueAt, wrapRequest } from '../core/k8s-fixtures.js';
import { readAdmissionResponse } from '../helpers/admission-response.js';
import type { ReadResponse } from '../helpers/admission-response.js';
import { FAKE_DIGEST, FakeMirror } from '../helpers/fake-mirror.js';

const B = 'backup.example:5000';
const KEY = 'image-cloner.io/original-images';
const NOW = 1_700_000_000_000;
const policy = parseMutationPolicy({ registry: B });
const strictPolicy = parseMutationPolicy({ registry: B, strict: true });

interface Harness {
  readonly mirror: FakeMirror;
  readonly lines: string[];
  readonly metrics: ServerMetrics;
  call(body: unknown, timeout?: string | null): Promise<HttpAnswer>;
  admit(body: unknown, timeout?: string | null): Promise<ReadResponse>;
}

function harness(options: { policy?: MutationPolicy; mirror?: FakeMirror; budgetMs?: number; realClock?: boolean } = {}): Harness {
  const mirror = options.mirror ?? new FakeMirror();
  const lines: string[] = [];
  const metrics = new ServerMetrics();
  const handler = createAdmissionHandler({
    policy: options.policy ?? policy,
    mirror,
    copyBudgetMs: options.budgetMs ?? 7_000,
    logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    metrics,
    ...(options.realClock === true ? {} : { now: () => NOW }),
  });
  const call = (body: unknown, timeout: string | null = null): Promise<HttpAnswer> =>
    handler(typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body)), timeout);
  const admit = async (body: unknown, timeout: string | null = null): Promise<ReadResponse> => {
    const answer = await call(body, timeout);
    assert.is(answer.status, 200, answer.body);
    assert.is(answer.contentType, 'application/json');
    return readAdmissionResponse(answer.body);
  };
  return { mirror, lines, metrics, call, admit };
}

function backupOf(image: string, digest = FAKE_DIGEST): string {
  const source = withDefaultTag(parseImageRef(image));
  return formatImageRef({ ...toBackupRef(source, policy.naming), digest: source.digest ?? digest });
}

function logRecords(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => {
    assert.ok(line.endsWith('\n'), 'one line each');
    const record: unknown = JSON.parse(line);
    if (!isRecord(record)) throw new Error('log line is not an object');
    return record;
  });
}

const fixtures = suite('admission handler: shared fixtures');

fixtures('every kubernetes-api fixture: a well-formed answer with the same uid', async () => {
  const files = listFixtures('kubernetes-api', '.json');
  assert.is(files.length, 10);
  for (const file of files) {
    const h = harness();
    const raw = readJsonFixture(file);
    const isReview = isRecord(raw) && raw.kind === 'AdmissionReview';
    const body = isReview ? raw : reviewFor(raw, { uid: `uid-${file}` });
    const got = await h.admit(body);
    assert.is(got.uid, isReview ? 'uidValue' : `uid-${file}`, file);
    assert.is(got.allowed, true, file);
    // `imageValue` and `referenceValue` are not valid references (uppercase): left alone, with warnings.
    assert.is(got.patch, undefined, file);
    for (const warning of got.warnings) assert.ok(warning.length < 120, warning);
    assert.is(h.mirror.calls.length, 0, `${file}: nothing to copy`);
    const records = logRecords(h.lines);
    assert.is(records.length, 1, `${file}: one log line`);
    const record = records[0] ?? {};
    if (isReview) {
      assert.is(record.outcome, 'malformed', file);
    } else if (file.includes('ReplicaSet')) {
      // Its fixture has a controlling owner: never rewritten (CLUSTER-NOTES 1.13).
      assert.is(record.skipped, 'controller-owned', file);
    } else {
      assert.is(record.outcome, 'allowed', file);
      assert.ok(got.warnings.length > 0, `${file}: says why`);
      const images = record.images;
      assert.ok(isRecord(images) && typeof images.invalid === 'number' && images.invalid > 0, file);
    }
  }
});

fixtures('pepr captures: CREATE is patched, DELETE is allowed with nothing', async () => {
  for (const [name, expectPatch] of [['create-pod', true], ['create-deployment', true], ['delete-pod', false]] as const) {
    const h = harness();
    const raw = readJsonFixture(`admission/pepr-admission-${name}.json`);
    const got = await h.admit(wrapRequest(raw));
    assert.is(got.uid, valueAt(raw, '/uid'), name);
    assert.is(got.allowed, true, name);
    assert.is(got.patch !== undefined, expectPatch, name);
    assert.equal(got.warnings, [], name);
    if (got.patch === undefined) continue;
    const object = valueAt(raw, '/object');
    const patchedObject = applyPatch(object, got.patch);
    for (const pointer of ['/spec/containers/0/image', '/spec/template/spec/containers/0/image']) {
      const before = valueAt(object, pointer);
      if (typeof before === 'string') assert.is(valueAt(patchedObject, pointer), backupOf(before), `${name} ${pointer}`);
    }
  }
});

fixtures('guestbook Deployments: only image paths and the annotation change', async () => {
  const deployments = readYamlFixture('manifests/kubernetes-examples/guestbook-all-in-one.yaml').filter(
    (object) => isRecord(object) && object.kind === 'Deployment',
  );
  assert.is(deployments.length, 3);
  for (const deployment of deployments) {
    const h = harness();
    const got = await h.admit(reviewFor(deployment));
    if (got.patch === undefined) throw new Error('expected a patch');
    const patched = applyPatch(deployment, got.patch);
    const pointer = '/spec/template/spec/containers/0/image';
    const original = valueAt(deployment, pointer);
    if (typeof original !== 'string') throw new Error('no image');
    assert.is(valueAt(patched, pointer), backupOf(original));
    assert.equal(JSON.parse(String(valueAt(patched, `/metadata/annotations/${KEY.replace('/', '~1')}`))), {
      [String(valueAt(deployment, '/spec/template/spec/containers/0/name'))]: original,
    });
    // Put the image back and drop the annotation: the rest is untouched.
    const restored = applyPatch(patched, [
      { op: 'replace', path: pointer, value: original },
      { op: 'remove', path: '/metadata/annotations' },
    ]);
    assert.equal(restored, deployment);
    assert.equal(h.mirror.calls[0]?.requests.map((r) => r.key), [formatImageRef(withDefaultTag(parseImageRef(original)))]);
  }
});

const errors = suite('admission handler: what cannot be answered, and what goes wrong');

errors('400: not JSON, not UTF-8, JSON but not an AdmissionReview, no request, no uid', async () => {
  const h = harness();
  const cases: readonly [string, unknown][] = [
    ['not JSON', '{"apiVersion":'],
    ['empty', ''],
    ['not an AdmissionReview', { hello: 'world' }],
    ['a list', []],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }],
    ['no uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }],
    ['v1beta1', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u' } }],
  ];
  for (const [name, body] of cases) {
    const answer = await h.call(body);
    assert.is(answer.status, 400, name);
    assert.is(answer.contentType, 'text/plain; charset=utf-8');
    assert.ok(answer.body.length < 400, `${name}: short`);
  }
  const notUtf8 = await createAdmissionHandler({ policy, mirror: h.mirror, copyBudgetMs: 7000, logger: createLogger({ write: () => {} }) })(
    Buffer.from([0x7b, 0xff, 0x7d]),
    null,
  );
  assert.is(notUtf8.status, 400);
  assert.is(h.mirror.calls.length, 0);
});

errors('malformed request with a uid: 200, allowed, with a warning', async () => {
  const h = harness();
  const got = await h.admit({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1', operation: 'EXPLODE' } });
  assert.is(got.uid, 'u-1');
  assert.is(got.allowed, true);
  assert.is(got.patch, undefined);
  assert.is(got.warnings.length, 1);
  assert.match(got.warnings[0] ?? '', /^image-cloner: unreadable request/);
  assert.ok((got.warnings[0] ?? '').length < 120);
});

errors('a pending copy: allowed with the original image and a short warning', async () => {
  const h = harness({ mirror: new FakeMirror('pending') });
  const got = await h.admit(reviewFor(podWith('quay.io/org/app:1.0')));
  assert.is(got.allowed, true);
  assert.is(got.patch, undefined);
  assert.is(got.warnings.length, 1);
  assert.match(got.warnings[0] ?? '', /not in the backup registry yet/);
  assert.ok((got.warnings[0] ?? '').length < 120);
});

errors('strict mode: pending -> denied 503, failed -> denied 403', async () => {
  const pending = await harness({ policy: strictPolicy, mirror: new FakeMirror('pending') }).admit(reviewFor(podWith('quay.io/org/app:1.0')));
  assert.is(pending.allowed, false);
  assert.is(pending.status?.code, 503);
  assert.match(pending.status?.message ?? '', /strict mode/);
  const failed = await harness({ policy: strictPolicy, mirror: new FakeMirror('failed') }).admit(reviewFor(podWith('quay.io/org/app:1.0')));
  assert.is(failed.allowed, false);
  assert.is(failed.status?.code, 403);
  // Not strict: a failure admits the original with a warning.
  const lenient = await harness({ mirror: new FakeMirror('failed') }).admit(reviewFor(podWith('quay.io/org/app:1.0')));
  assert.is(lenient.allowed, true);
  assert.match(lenient.warnings[0] ?? '', /failed, original kept/);
});

errors('the mirror throws: allowed with the internal-error warning; strict: denied 503', async () => {
  const h = harness({ mirror: new FakeMirror('throw') });
  const got = await h.admit(reviewFor(podWith('quay.io/org/app:1.0')));
  assert.is(got.allowed, true);
  assert.equal(got.warnings, [INTERNAL_ERROR_MESSAGE]);
  assert.is(got.patch, undefined);
  const [record] = logRecords(h.lines);
  assert.is(record?.level, 'error');
  assert.is(record?.outcome, 'error');
  assert.is(record?.error, 'fake mirror exploded');
  const strict = await harness({ policy: strictPolicy, mirror: new FakeMirror('throw') }).admit(reviewFor(podWith('quay.io/org/app:1.0')));
  assert.is(strict.allowed, false);
  assert.equal(strict.status, { code: 503, message: INTERNAL_ERROR_MESSAGE });
});

errors('a mirror that never answers: the admission is answered soon after its deadline, as pending', async () => {
  const h = harness({ mirror: new FakeMirror('hang'), budgetMs: 100, realClock: true });
  const started = Date.now();
  const got = await h.admit(reviewFor(podWith('quay.io/org/app:1.0')));
  const ms = Date.now() - started;
  assert.ok(ms >= 100 + ENSURE_GRACE_MS - 20 && ms < 100 + ENSURE_GRACE_MS + 1_000, `${ms} ms`);
  assert.is(got.allowed, true);
  assert.match(got.warnings[0] ?? '', /not in the backup registry yet/);
});

const options = suite('admission handler: dry run, deadline, logs, metrics');

options('dry run: the mirror is told, the answer still shows the patch', async () => {
  const h = harness();
  const got = await h.admit(reviewFor(podWith('quay.io/org/app:1.0'), { dryRun: true }));
  assert.is(h.mirror.calls[0]?.options.dryRun, true);
  assert.ok(got.patch !== undefined);
  const wet = harness();
  await wet.admit(reviewFor(podWith('quay.io/org/app:1.0')));
  assert.is(wet.mirror.calls[0]?.options.dryRun, false);
});

options('deadline: the budget, shortened by ?timeout= minus 1.5 s, never before now', async () => {
  const cases: readonly [string | null, number][] = [
    [null, 7_000],
    ['10s', 7_000],
    ['3s', 1_500],
    ['5s', 3_500],
    ['2500ms', 1_000],
    ['1s', 0],
    ['garbage', 7_000],
  ];
  for (const [timeout, expected] of cases) {
    const h = harness();
    await h.admit(reviewFor(podWith('quay.io/org/app:1.0')), timeout);
    assert.is(h.mirror.calls[0]?.options.deadline, NOW + expected, String(timeout));
  }
});

options('nothing to copy: no mirror call (an image already in the backup)', async () => {
  const h = harness();
  const got = await h.admit(reviewFor(podWith(`${B}/quay.io/org/app:1.0`)));
  assert.is(h.mirror.calls.length, 0);
  assert.is(got.patch, undefined);
  assert.equal(got.warnings, []);
});

options('one JSON log line per admission with the fields operators filter on', async () => {
  const h = harness({ mirror: new FakeMirror('ready') });
  h.mirror.byKey.set('quay.io/org/late:1', { status: 'pending' });
  const pod = podWith('quay.io/org/app:1.0', 'quay.io/org/late:1', 'Not/Valid');
  const review = reviewFor(pod, { uid: 'log-uid' });
  if (isRecord(review.request)) review.request.name = '';
  await h.admit(review);
  const records = logRecords(h.lines);
  assert.is(records.length, 1);
  const record = records[0] ?? {};
  assert.is(record.msg, 'admission');
  assert.is(record.level, 'info');
  assert.is(record.uid, 'log-uid');
  assert.is(record.kind, 'Pod');
  assert.is(record.namespace, 'default');
  assert.is(record.name, 'web-*', 'generateName when the name is empty');
  assert.is(record.operation, 'CREATE');
  assert.is(record.dryRun, false);
  assert.equal(record.images, { rewritten: 1, pending: 1, invalid: 1 });
  assert.is(record.outcome, 'patched');
  assert.is(record.ms, 0);
  assert.match(String(record.time), /^\d{4}-\d\d-\d\dT/);
  const text = await h.metrics.render();
  assert.match(text.body, /image_cloner_admissions_total\{outcome="patched"\} 1/);
  assert.match(text.body, /image_cloner_images_total\{status="pending"\} 1/);
});

function podWith(...images: string[]): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'web-', namespace: 'default' },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
  };
}

fixtures.run();
errors.run();
options.run();
