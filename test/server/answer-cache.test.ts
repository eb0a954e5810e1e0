/**
 * Repeated requests (the Pods of one ReplicaSet: the same CREATE with a new
 * uid each) are answered from the answer cache: the same answer with their
 * own uid, their own log line and metrics, no mirror call. Only final
 * answers are kept, and one whose copies are no longer cached READY at the
 * same digest goes through the full path again.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CopyOutcome, CopyRequest } from '../../src/core/image-decision.js';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import { createAdmissionHandler } from '../../src/server/admission-handler.js';
import { AnswerCache, MAX_KEY_CHARS, answerBody, answerKey, peekAnswerKey, splitAroundUid } from '../../src/server/answer-cache.js';
import { createLogger } from '../../src/server/logger.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { isRecord, reviewFor } from '../core/k8s-fixtures.js';
import { readAdmissionResponse } from '../helpers/admission-response.js';
import { FAKE_DIGEST, FakeMirror } from '../helpers/fake-mirror.js';

/** A FakeMirror that also answers ready() from what the test says is cached. */
class CachingMirror extends FakeMirror {
  readonly cached = new Map<string, CopyOutcome>();
  readyCalls = 0;

  ready(requests: readonly CopyRequest[]): ReadonlyMap<string, CopyOutcome> | undefined {
    this.readyCalls += 1;
    const outcomes = new Map<string, CopyOutcome>();
    for (const request of requests) {
      const outcome = this.cached.get(request.key);
      if (outcome?.status !== 'ready') return undefined;
      outcomes.set(request.key, outcome);
    }
    return outcomes;
  }
}

const policy = parseMutationPolicy({ registry: 'backup.example:5000' });
const SOURCE = 'quay.io/team/app:1.0';
const SOURCE_KEY = 'quay.io/team/app:1.0';

function pod(image: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'web-7d9f-', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image }] },
  };
}

function setup(options: { answerCache?: boolean } = {}) {
  const mirror = new CachingMirror('ready');
  const lines: string[] = [];
  const metrics = new ServerMetrics();
  const handler = createAdmissionHandler({
    policy,
    mirror,
    copyBudgetMs: 7_000,
    logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
    metrics,
    ...(options.answerCache === undefined ? {} : { answerCache: options.answerCache }),
  });
  const call = (uid: string, image = SOURCE) => handler(Buffer.from(JSON.stringify(reviewFor(pod(image), { uid }))), null);
  const admit = async (uid: string, image = SOURCE) => {
    const answer = await call(uid, image);
    assert.is(answer.status, 200, answer.body);
    return { raw: answer.body, review: readAdmissionResponse(answer.body) };
  };
  return { mirror, lines, metrics, call, admit };
}

function patchValues(patch: readonly unknown[] | undefined): string[] {
  return (patch ?? []).flatMap((op) => (isRecord(op) && typeof op['value'] === 'string' ? [op['value']] : []));
}

const test = suite('answer cache');

test('the same request with another uid: the same answer with its own uid, no mirror call, one log line each', async () => {
  const h = setup();
  const first = await h.admit('uid-1');
  assert.is(h.mirror.calls.length, 1, 'the first admission asks the mirror');
  h.mirror.cached.set(SOURCE_KEY, { status: 'ready', digest: FAKE_DIGEST });
  const second = await h.admit('uid-2');
  assert.is(h.mirror.calls.length, 1, 'the second is answered without ensure()');
  assert.is(second.review.uid, 'uid-2');
  assert.equal(second.review.patch, first.review.patch);
  assert.is(second.raw, first.raw.replace('"uid-1"', '"uid-2"'), 'byte for byte the same answer but the uid');
  const records = h.lines.map((line) => JSON.parse(line) as unknown).filter(isRecord);
  assert.equal(records.map((record) => record['uid']), ['uid-1', 'uid-2']);
  const { ms: _a, time: _b, uid: _c, ...rest1 } = records[0] ?? {};
  const { ms: _d, time: _e, uid: _f, ...rest2 } = records[1] ?? {};
  assert.equal(rest2, rest1, 'the replayed log line carries the same fields');
  const text = (await h.metrics.render()).body;
  assert.match(text, /image_cloner_admissions_total\{outcome="patched"\} 2/);
});

test('a copy no longer cached READY at the same digest (expired tag, moved tag): the full path again', async () => {
  const h = setup();
  h.mirror.cached.set(SOURCE_KEY, { status: 'ready', digest: FAKE_DIGEST });
  await h.admit('uid-1');
  h.mirror.cached.clear();
  await h.admit('uid-2');
  assert.is(h.mirror.calls.length, 1, 'expired: ensure() asked');
  const moved = `sha256:${'e'.repeat(64)}`;
  h.mirror.byKey.set(SOURCE_KEY, { status: 'ready', digest: moved });
  h.mirror.cached.set(SOURCE_KEY, { status: 'ready', digest: moved });
  const third = await h.admit('uid-3');
  assert.ok(patchValues(third.review.patch).some((value) => value.endsWith(moved)), 'the new digest');
});

test('pending and failed answers are not kept; a different request is not confused with a cached one', async () => {
  const h = setup();
  h.mirror.mode = 'pending';
  await h.admit('uid-1');
  h.mirror.cached.set(SOURCE_KEY, { status: 'ready', digest: FAKE_DIGEST });
  h.mirror.mode = 'ready';
  const after = await h.admit('uid-2');
  assert.is(after.review.patch !== undefined, true, 'rewritten now: the pending answer was not replayed');
  const other = await h.admit('uid-3', 'quay.io/team/other:2.0');
  assert.ok(patchValues(other.review.patch).some((value) => value.includes('/team/other:2.0@')));
});

test('answerCache: false answers every request through the full path', async () => {
  const h = setup({ answerCache: false });
  h.mirror.cached.set(SOURCE_KEY, { status: 'ready', digest: FAKE_DIGEST });
  await h.admit('uid-1');
  await h.admit('uid-2');
  assert.is(h.mirror.readyCalls, 2, 'planned twice');
});

test('answerKey: the text with the request uid blanked; another uid, the same key; pretty-printed JSON too', () => {
  const review = reviewFor(pod(SOURCE), { uid: 'abc-1' });
  const text = JSON.stringify(review);
  const keyed = answerKey(review, text);
  assert.is(keyed?.uid, 'abc-1');
  const at = text.indexOf('"abc-1"');
  assert.equal(keyed, { before: text.slice(0, at), after: text.slice(at + '"abc-1"'.length), uid: 'abc-1' });
  const other = reviewFor(pod(SOURCE), { uid: 'xyz-2' });
  const otherKey = answerKey(other, JSON.stringify(other));
  assert.equal([otherKey?.before, otherKey?.after], [keyed?.before, keyed?.after], 'another uid, the same sides');
  const pretty = JSON.stringify(review, null, 2);
  assert.is(answerKey(review, pretty)?.before, pretty.slice(0, pretty.indexOf('"abc-1"')));
});

test('peekAnswerKey finds the key answerKey gave the same review, from the text alone', () => {
  for (const text of [JSON.stringify(reviewFor(pod(SOURCE), { uid: 'abc-1' })), JSON.stringify(reviewFor(pod(SOURCE), { uid: 'u' }), null, 2)]) {
    const parsed: unknown = JSON.parse(text);
    assert.equal(peekAnswerKey(text), answerKey(parsed, text));
  }
  const plain = JSON.stringify(reviewFor(pod(SOURCE), { uid: 'abc-1' }));
  // Values whose literal is not their text, an empty uid, no uid member, a big body: parsed instead.
  for (const text of [
    plain.replace('"abc-1"', '"a\\"b"'),
    plain.replace('"abc-1"', '"a\\u0062"'),
    plain.replace('"abc-1"', '""'),
    plain.replace('"uid"', '"id"'),
    `${plain}${' '.repeat(MAX_KEY_CHARS)}`,
  ]) {
    assert.is(peekAnswerKey(text), undefined, text.slice(60, 110));
  }
  // The same text with the uid at another place (a member before the request's) never shares a key.
  const moved = JSON.stringify({ first: { uid: 'x' }, ...reviewFor(pod(SOURCE), { uid: 'abc-1' }) });
  assert.is.not(peekAnswerKey(moved)?.before, answerKey(JSON.parse(moved), moved)?.before);
});

test('a repeated request is answered without being parsed', async () => {
  const h = setup();
  h.mirror.cached.set(SOURCE_KEY, { status: 'ready', digest: FAKE_DIGEST });
  await h.admit('uid-1');
  const parse = JSON.parse;
  let parses = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    parses += 1;
    return parse(text, reviver);
  }) as typeof JSON.parse;
  let answer: Awaited<ReturnType<typeof h.call>>;
  try {
    answer = await h.call('uid-2');
  } finally {
    JSON.parse = parse;
  }
  assert.is(parses, 0, 'the handler did not parse the body');
  assert.is(readAdmissionResponse(answer.body).uid, 'uid-2');
});

test('answerKey refuses what could make two different requests share a key', () => {
  for (const odd of [null, 1, 'x', [], { request: [] }, { request: { uid: 5 } }, { request: { uid: '' } }]) {
    assert.is(answerKey(odd, JSON.stringify(odd)), undefined, JSON.stringify(odd));
  }
  // The uid's value elsewhere too (an annotation): which occurrence is the uid's is not told by text alone.
  const twice = reviewFor({ ...pod(SOURCE), metadata: { annotations: { note: 'abc-1' } } }, { uid: 'abc-1' });
  assert.is(answerKey(twice, JSON.stringify(twice)), undefined, 'twice');
  // The value written with an escape, the same characters plain in an image: that is not the uid member.
  const escaped = reviewFor(pod('abc'), { uid: 'abc' });
  const escapedText = JSON.stringify(escaped).replace('"uid":"abc"', '"uid":"\\u0061bc"');
  assert.is(answerKey(JSON.parse(escapedText), escapedText), undefined, 'not after "uid":');
  // A later duplicate member sets request.uid (JSON.parse keeps the last): never the key of a review with one.
  const single = JSON.stringify(reviewFor(pod(SOURCE), { uid: 'u-1' }));
  const duplicated = single.replace('"uid":"u-1"', '"uid":"","uid":"u-2"');
  const keyedSingle = answerKey(JSON.parse(single), single);
  const keyedDuplicated = answerKey(JSON.parse(duplicated), duplicated);
  assert.ok(keyedSingle !== undefined && keyedDuplicated !== undefined);
  assert.ok(keyedDuplicated.before !== keyedSingle.before || keyedDuplicated.after !== keyedSingle.after);
  const big = reviewFor(pod(`quay.io/${'a'.repeat(MAX_KEY_CHARS)}:1`), { uid: 'u' });
  assert.is(answerKey(big, JSON.stringify(big)), undefined, 'a body over the bound');
});

test('splitAroundUid / answerBody put any uid back as JSON; the cache is bounded, least recently used first', () => {
  const parts = splitAroundUid((uid) => JSON.stringify({ response: { uid, note: 'uid' } }));
  assert.is(answerBody(parts, 'a"b'), JSON.stringify({ response: { uid: 'a"b', note: 'uid' } }));
  const cache = new AnswerCache(2);
  const answer = { ...parts, outcome: 'allowed' as const, requests: [], digests: new Map(), images: new Map(), fields: {} };
  // Same lengths on both sides (one bucket), and another text of other lengths.
  const [a, b, c] = [{ before: 'a1', after: 'x', uid: 'u' }, { before: 'b1', after: 'x', uid: 'u' }, { before: 'c11', after: 'x', uid: 'u' }];
  cache.set(a, answer);
  cache.set(b, answer);
  assert.ok(cache.get({ ...a, uid: 'other' }, () => undefined) !== undefined, 'the uid is not part of the key');
  assert.is(cache.get({ before: 'a1', after: 'y', uid: 'u' }, () => undefined), undefined, 'the other side differs');
  cache.set(c, answer);
  assert.is(cache.size, 2);
  assert.is(cache.get(b, () => undefined), undefined, 'b was the least recently used');
  assert.ok(cache.get(a, () => undefined) !== undefined);
  assert.ok(cache.get(c, () => undefined) !== undefined);
});

test('reviews alike in all but a counter share a bucket of at most 8: no false hit, the newest kept', () => {
  const cache = new AnswerCache();
  const parts = splitAroundUid((uid) => JSON.stringify({ uid }));
  const answerFor = (n: number) => ({ ...parts, outcome: 'allowed' as const, requests: [], digests: new Map(), images: new Map(), fields: { n } });
  const text = (n: number): string => `{"request":{"uid":"u","object":{"seq":"${String(n).padStart(6, '0')}"${' '.repeat(4000)}}}}`;
  const keys = Array.from({ length: 12 }, (_, n) => {
    const t = text(n);
    const key = peekAnswerKey(t);
    if (key === undefined) throw new Error('no key');
    cache.set(key, answerFor(n));
    return key;
  });
  const found = keys.map((key) => cache.get(key, () => undefined)?.fields['n']);
  assert.equal(found, [undefined, undefined, undefined, undefined, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.is(cache.size, 8);
});

test.run();
