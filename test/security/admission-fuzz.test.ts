/**
 * Hostile input to the webhook (issue 5): every fixture AdmissionReview,
 * mutated (fields deleted, retyped, duplicated; deep nesting; huge container
 * lists; `__proto__`/`constructor`/`prototype` keys, also as container
 * names and annotation keys; invalid, enormous and path-tricking images;
 * invalid UTF-8), fed to the real handler in process (thousands of cases,
 * fake mirror) and to the real HTTPS server over the wire (hundreds, with
 * raw byte-level abuse: bodies over 3 MiB and over MAX_REQUEST_BYTES, wrong
 * content types, chunked, truncated and slow bodies, framing attacks), and
 * a smaller batch to the real `serve` process copying from real registries.
 * The invariants are in fuzz/invariants.ts. FUZZ_CASES scales the in-process count; FUZZ_SEED
 * moves the first seed (a failure names the seed that broke).
 */
import { Agent } from 'node:https';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import type { MutationPolicy } from '../../src/core/mutation-policy.js';
import { createAdmissionHandler } from '../../src/server/admission-handler.js';
import { createLogger } from '../../src/server/logger.js';
import { DEFAULT_MAX_REQUEST_BYTES } from '../../src/server/config.js';
import { isRecord, readJsonFixture, reviewFor } from '../core/k8s-fixtures.js';
import { readAdmissionResponse } from '../helpers/admission-response.js';
import { FakeMirror } from '../helpers/fake-mirror.js';
import { lazyFixture } from '../helpers/fixture.js';
import { httpsRequest } from '../helpers/https-client.js';
import { makeSimpleImage, pushImage } from '../helpers/images.js';
import { startMirrorWorld } from '../helpers/mirror-world.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import { startWebhook } from '../server/webhook-harness.js';
import type { FakeMode } from '../helpers/fake-mirror.js';
import { confineImages } from './fuzz/confine-images.js';
import { checkAnswer } from './fuzz/invariants.js';
import type { Expectations } from './fuzz/invariants.js';
import { loadSeeds } from './fuzz/seeds.js';
import { chunked, postHead, rawExchange, split } from './fuzz/raw-https.js';
import { runFuzz } from './fuzz/run-cases.js';

const BACKUP = 'backup.example:5000';
const KEY = 'image-cloner.io/original-images';
const CASES = Number(process.env['FUZZ_CASES'] ?? 4000);
const HTTPS_CASES = Math.max(50, Math.ceil(CASES / 16));
const FIRST_SEED = Number(process.env['FUZZ_SEED'] ?? 1);
const JSON_HEADERS = { 'content-type': 'application/json' };
const seeds = loadSeeds();

/** Cases run, reported at the end (the lead quotes them). */
const totals = { inProcess: 0, https: 0, realRegistry: 0 };

interface Variant {
  readonly name: string;
  readonly policy: MutationPolicy;
  readonly mode: FakeMode;
  readonly expect: Expectations;
}

const VARIANTS: readonly Variant[] = [
  { name: 'default, copies ready', policy: parseMutationPolicy({ registry: BACKUP }), mode: 'ready', expect: { backup: BACKUP, annotationKey: KEY } },
  {
    name: 'prefix and pull secret, copies ready',
    policy: parseMutationPolicy({ registry: BACKUP, prefix: 'mirror', imagePullSecret: 'backup-pull' }),
    mode: 'ready',
    expect: { backup: `${BACKUP}/mirror`, annotationKey: KEY, pullSecret: 'backup-pull' },
  },
  { name: 'flat layout, copies ready', policy: parseMutationPolicy({ registry: BACKUP, prefix: 'team', layout: 'flat' }), mode: 'ready', expect: { backup: `${BACKUP}/team`, annotationKey: KEY } },
  { name: 'copies pending', policy: parseMutationPolicy({ registry: BACKUP }), mode: 'pending', expect: { backup: BACKUP, annotationKey: KEY } },
  { name: 'strict, copies failing', policy: parseMutationPolicy({ registry: BACKUP, strict: true }), mode: 'failed', expect: { backup: BACKUP, annotationKey: KEY } },
  { name: 'mirror throwing', policy: parseMutationPolicy({ registry: BACKUP }), mode: 'throw', expect: { backup: BACKUP, annotationKey: KEY } },
];

const inProcess = suite('admission fuzz: the handler in process');

inProcess(`${seeds.length} seed AdmissionReviews from the shared fixtures`, () => {
  assert.ok(seeds.length >= 130, `${seeds.length} seeds`);
});

VARIANTS.forEach((variant, index) => {
  inProcess(`${variant.name}: every answer well-formed, patches only on image paths`, async () => {
    const lines: string[] = [];
    const handler = createAdmissionHandler({
      policy: variant.policy,
      mirror: new FakeMirror(variant.mode),
      copyBudgetMs: 5_000,
      logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
    });
    const count = Math.ceil(CASES / VARIANTS.length);
    const run = await runFuzz({
      seeds,
      count,
      firstSeed: FIRST_SEED + index * 1_000_000,
      expect: variant.expect,
      answer: (body) => handler(body, null),
    });
    totals.inProcess += run.cases;
    // The fuzzer reaches both answers: a review and a 400.
    assert.ok((run.statuses.get(200) ?? 0) > count / 2, JSON.stringify([...run.statuses]));
    assert.ok((run.statuses.get(400) ?? 0) > 0, JSON.stringify([...run.statuses]));
    assert.is([...run.statuses.keys()].filter((s) => s !== 200 && s !== 400).length, 0);
    // It reaches the interesting answers too, not only refusals.
    const wanted = variant.mode === 'ready' ? 'patched' : variant.policy.strict ? 'denied' : 'allowed';
    assert.ok((run.kinds.get(wanted) ?? 0) > count / 20, JSON.stringify([...run.kinds]));
  });
});

inProcess('the invariants catch what they must (the checker can fail)', () => {
  const review = reviewFor(readJsonFixture('kubernetes-api/core.v1.Pod.json'), { uid: 'u1' });
  const fuzz = { value: review, steps: [], deep: false, invalidUtf8: false };
  const expect = { backup: BACKUP, annotationKey: KEY };
  const answer = (response: Record<string, unknown>, status = 200) => ({
    status,
    body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u1', allowed: true, ...response } }),
  });
  const withPatch = (ops: unknown[]) => answer({ patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
  const image = `${BACKUP}/docker.io/library/alpine:3@sha256:${'d'.repeat(64)}`;
  assert.is(checkAnswer(fuzz, withPatch([{ op: 'replace', path: '/spec/containers/0/image', value: image }]), expect), 'patched');
  const bad: [string, { status: number; body: string }][] = [
    ['a 500', answer({}, 500)],
    ['another uid', answer({ uid: 'u2' })],
    ['a label patched', withPatch([{ op: 'add', path: '/metadata/labels/x', value: 'y' }])],
    ['an image outside the backup', withPatch([{ op: 'replace', path: '/spec/containers/0/image', value: 'evil.example/x:1' }])],
    ['an image not pinned', withPatch([{ op: 'replace', path: '/spec/containers/0/image', value: `${BACKUP}/x:1` }])],
    ['a remove', withPatch([{ op: 'remove', path: '/spec/containers/0/image' }])],
    ['the wrong pod spec', withPatch([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }])],
    ['a long warning', answer({ warnings: ['w'.repeat(120)] })],
  ];
  for (const [name, got] of bad) assert.throws(() => checkAnswer(fuzz, got, expect), undefined, name);
  assert.throws(() => checkAnswer({ ...fuzz, invalidUtf8: true }, answer({}), expect), undefined, 'invalid UTF-8 answered 200');
});

inProcess.run();

const overHttps = suite('admission fuzz: the HTTPS server over the wire');
const webhook = lazyFixture(() => startWebhook(), (w) => w.close());
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

overHttps.after(async () => {
  agent.destroy();
  await webhook.dispose();
});

const HOSTILE_TIMEOUTS = ['10s', '', '0s', '-5s', '1e308s', 'NaN', '30', '99999999999h', '1s&timeout=0s', '\u0000', '10s'.repeat(1000)];

overHttps(`${HTTPS_CASES} mutated fixtures over keep-alive connections, odd ?timeout= values: every answer well-formed`, async () => {
  const w = await webhook.get();
  let sent = 0;
  const run = await runFuzz({
    seeds,
    count: HTTPS_CASES,
    firstSeed: FIRST_SEED + 50_000_000,
    expect: { backup: BACKUP, annotationKey: KEY },
    answer: async (body) => {
      // The API server sends `?timeout=10s`; a hostile or broken one could send anything.
      const timeout = HOSTILE_TIMEOUTS[sent++ % HOSTILE_TIMEOUTS.length] ?? '10s';
      const path = `/mutate?timeout=${encodeURIComponent(timeout)}`;
      const res = await httpsRequest({ ...w.target, agent }, { method: 'POST', path, headers: JSON_HEADERS, body });
      return { status: res.status, body: res.body };
    },
  });
  totals.https += run.cases;
  assert.ok((run.statuses.get(200) ?? 0) > HTTPS_CASES / 2, JSON.stringify([...run.statuses]));
});

/** A valid review (a fixture Deployment) grown to exactly `bytes` with an annotation (when over its own size), its uid `uid`. */
function paddedReview(uid: string, bytes: number): Buffer {
  const object = structuredClone(readJsonFixture('kubernetes-api/apps.v1.Deployment.json'));
  const encode = (padding: number): Buffer => {
    if (isRecord(object) && isRecord(object['metadata'])) object['metadata']['annotations'] = { padding: 'p'.repeat(padding) };
    return Buffer.from(JSON.stringify(reviewFor(object, { uid })));
  };
  const bare = encode(0);
  return bytes <= bare.length ? bare : encode(bytes - bare.length);
}

function expectReview(answer: { status: number | undefined; body: string }, uid: string): void {
  assert.is(answer.status, 200, answer.body.slice(0, 200));
  const response = readAdmissionResponse(answer.body);
  assert.is(response.uid, uid);
}

overHttps('raw abuse: invalid UTF-8, over 3 MiB, over MAX_REQUEST_BYTES, content types, chunked, truncated, slow', async () => {
  const w = await webhook.get();
  const post = (body: Buffer, headers: Record<string, string> = JSON_HEADERS) =>
    httpsRequest(w.target, { method: 'POST', path: '/mutate?timeout=10s', headers, body });
  let cases = 0;
  const count = <T>(answer: T): T => {
    cases += 1;
    return answer;
  };

  // Raw bytes that are not UTF-8, at the top and inside a string: 400, like any non-JSON body.
  for (const bytes of [[0xff, 0xfe], [0x7b, 0x22, 0xc0, 0x80, 0x22, 0x3a, 0x31, 0x7d], [0xef, 0xbb, 0xbf, 0x7b, 0x7d]]) {
    assert.is(count(await post(Buffer.from(bytes))).status, 400);
  }
  const valid = paddedReview('uid-utf8', 0);
  const broken = Buffer.from(valid);
  broken[valid.indexOf('example')] = 0xff;
  assert.is(count(await post(broken)).status, 400);

  // Over 3 MiB but under the limit: answered.
  expectReview(count(await post(paddedReview('uid-3mib', 3.5 * 1024 * 1024))), 'uid-3mib');
  // At the limit exactly, answered; one byte over: 413, with and without Content-Length.
  expectReview(count(await post(paddedReview('uid-limit', DEFAULT_MAX_REQUEST_BYTES))), 'uid-limit');
  const over = paddedReview('uid-over', DEFAULT_MAX_REQUEST_BYTES + 1);
  assert.is(over.length, DEFAULT_MAX_REQUEST_BYTES + 1);
  assert.is(count(await post(over)).status, 413);
  const overChunked = await rawExchange(w.target, {
    head: postHead({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
    pieces: chunked(split(over, 256 * 1024)),
  });
  assert.is(count(overChunked).status, 413);
  // A Content-Length far over the limit is refused before any body byte is read.
  const lying = await rawExchange(w.target, { head: postHead({ 'content-type': 'application/json', 'content-length': String(2 ** 40) }), pieces: [] });
  assert.is(count(lying).status, 413);

  // Content types: only application/json (any case, with parameters).
  for (const type of ['text/plain', 'application/yaml', 'application/json-patch+json', 'application/jsonx', 'multipart/form-data; boundary=x', '']) {
    const res = count(await post(valid, type === '' ? {} : { 'content-type': type }));
    assert.is(res.status, 415, type);
  }
  for (const type of ['APPLICATION/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8']) {
    expectReview(count(await post(paddedReview(`uid-${type.length}`, 0), { 'content-type': type })), `uid-${type.length}`);
  }

  // Chunked in small pieces, and dripped slowly: answered.
  const chunkedAnswer = await rawExchange(w.target, {
    head: postHead({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
    pieces: chunked(split(paddedReview('uid-chunked', 0), 997)),
  });
  expectReview(count(chunkedAnswer), 'uid-chunked');
  const slowBody = paddedReview('uid-slow', 0);
  const slow = await rawExchange(w.target, {
    head: postHead({ 'content-type': 'application/json', 'content-length': String(slowBody.length) }),
    pieces: split(slowBody, Math.ceil(slowBody.length / 10)),
    delayMs: 150,
  });
  expectReview(count(slow), 'uid-slow');

  // Truncated: the client half-closes mid-body. No answer, or Node's own 400 (its HTTP parser
  // fails at the end of the stream before the body is complete); never a 200 or a 500, no crash.
  const truncated = await rawExchange(w.target, {
    head: postHead({ 'content-type': 'application/json', 'content-length': String(valid.length) }),
    pieces: [valid.subarray(0, 100)],
    end: true,
  });
  assert.ok([undefined, 400].includes(count(truncated).status), truncated.body);
  const truncatedChunked = await rawExchange(w.target, {
    head: postHead({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
    pieces: chunked([valid.subarray(0, 100)]).slice(0, 1),
    end: true,
  });
  assert.ok([undefined, 400].includes(count(truncatedChunked).status), truncatedChunked.body);

  // Framing attacks Node's HTTP parser refuses before the handler (RFC 9112 6.1: both lengths is
  // an error; headers past 16 KiB get 431).
  const smuggled = await rawExchange(w.target, {
    head: postHead({ 'content-type': 'application/json', 'content-length': String(valid.length), 'transfer-encoding': 'chunked' }),
    pieces: chunked([valid]),
  });
  assert.is(count(smuggled).status, 400, smuggled.body);
  const fatHeaders = await rawExchange(w.target, {
    head: postHead({ 'content-type': 'application/json', 'content-length': String(valid.length), 'x-pad': 'p'.repeat(20 * 1024) }),
    pieces: [valid],
  });
  assert.is(count(fatHeaders).status, 431, fatHeaders.body);

  totals.https += cases;
  // Still alive and answering, and nothing ever failed inside.
  assert.is((await httpsRequest(w.target, { path: '/healthz' })).status, 200);
  expectReview(await post(paddedReview('uid-after', 0)), 'uid-after');
  assert.not.ok(w.lines.some((line) => line.includes('"request failed"')), 'a request failed inside the server');
});

overHttps.run();

/**
 * The real `serve` process with real registries: a plain-HTTP source holding
 * one image and the TLS + htpasswd backup. Every image the webhook would
 * copy is confined to the source (the fuzzer's images name hosts such as
 * docker.io, which no test may reach); invalid ones stay as they are.
 */
const realRegistry = suite('admission fuzz: the real serve process with real registries');
const REAL_CASES = Math.max(40, Math.ceil(CASES / 50));
const world = lazyFixture(
  async () => {
    const registries = await startMirrorWorld();
    try {
      const image = await makeSimpleImage('oci', { seed: 'admission-fuzz' });
      const { digest } = await pushImage(registries.source, 'fuzz/app', '1', image);
      const serve = await startServeWebhook(
        {
          BACKUP_REGISTRY: registries.backup.host,
          REGISTRY_AUTH_FILE: registries.authFile,
          REGISTRY_CA_FILE: registries.backup.caFile ?? '',
          INSECURE_REGISTRIES: registries.source.host,
        },
        'fuzz-serve',
      );
      return { registries, serve, digest };
    } catch (error) {
      await registries.stop();
      throw error;
    }
  },
  async (w) => {
    await w.serve.stop();
    await w.registries.stop();
  },
);

realRegistry.after(async () => {
  await world.dispose();
  process.stdout.write(`\nfuzz cases: ${totals.inProcess} in process, ${totals.https} over HTTPS (${totals.realRegistry} of them with real registries)\n`);
});

realRegistry(`${REAL_CASES} mutated fixtures, copies real: every answer well-formed, rewrites name the real backup`, async () => {
  const { registries, serve, digest } = await world.get();
  const source = registries.source.host;
  const onSource = [`${source}/fuzz/app:1`, `${source}/fuzz/app@${digest}`, `${source}/fuzz/app:1@${digest}`, `${source}/fuzz/missing:1`];
  let slot = 0;
  const run = await runFuzz({
    seeds,
    count: REAL_CASES,
    firstSeed: FIRST_SEED + 90_000_000,
    expect: { backup: registries.backup.host, annotationKey: KEY },
    confine: (review) => confineImages(review, (image) => (image.domain === source ? undefined : onSource[slot++ % onSource.length])),
    answer: async (body) => {
      const res = await serve.post(body);
      return { status: res.status, body: res.body };
    },
  });
  totals.https += run.cases;
  totals.realRegistry += run.cases;
  assert.ok((run.kinds.get('patched') ?? 0) > 0, JSON.stringify([...run.kinds]));
  assert.is((await httpsRequest(serve.target, { path: '/healthz' })).status, 200);
});

realRegistry.run();
