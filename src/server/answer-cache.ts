/**
 * Answers worth giving again. The API server sends the same request many
 * times over with only its uid changed: every Pod a ReplicaSet, Job or
 * DaemonSet creates from one template arrives as the same CREATE (its name
 * is generated later, CLUSTER-NOTES 1.7), and a controller's retries repeat
 * themselves. Such a request is answered from here without classifying and
 * planning it again.
 *
 * An answer is kept only when it is final: no copy pending or failed, no
 * denial. What it rests on is checked at every use: the copies it rewrote to
 * must still be cached READY with the same digests (a tag's entry expires,
 * so a moved tag goes through the full path again); the policy is fixed for
 * the life of the process. The key is the whole review with its uid blanked,
 * so only an identical request matches. Bounded: small reviews only, a
 * fixed number of them, least recently used dropped first.
 */
import type { CopyOutcome, CopyRequest, ImageStatus } from '../core/image-decision.js';
import { isJsonObject } from '../core/json-object.js';
import type { AdmissionOutcome } from './metrics.js';

export interface CachedAnswer {
  /** The serialized review, split around its uid (JSON-encoded when joined back). */
  readonly before: string;
  readonly after: string;
  readonly outcome: AdmissionOutcome;
  /** The copies the answer relied on and the digest each was READY at. */
  readonly requests: readonly CopyRequest[];
  readonly digests: ReadonlyMap<string, string>;
  readonly images: ReadonlyMap<ImageStatus, number>;
  /** The admission's log fields, without uid and duration. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export const ANSWER_CACHE_ENTRIES = 512;
/** A larger review is rarely repeated, and keys must not hold much memory: 512 x 32 KiB = 16 MiB at most. */
export const MAX_KEY_CHARS = 32 * 1024;

const UID_MARK = '\u0000uid\u0000';

/** One cached review: its text on either side of the uid's value, and its answer. */
interface Slot {
  readonly before: string;
  readonly after: string;
  readonly answer: CachedAnswer;
}

/** Reviews kept per bucket: a lookup compares at most this many texts. */
const MAX_BUCKET_SLOTS = 8;
/** Characters of the text sampled into a bucket's name (besides both lengths). */
const SAMPLES = 48;

export class AnswerCache {
  /**
   * Slots by bucketOf (lengths and sampled characters): a lookup compares
   * the request's text with a few candidates in place, without building a
   * key string of the review's size per request. A bucket holds at most
   * MAX_BUCKET_SLOTS (reviews alike in every sampled character, such as
   * one review with a counter in it, cost a few comparisons, not hundreds).
   */
  readonly #buckets = new Map<string, Slot[]>();
  /** Every slot, least recently used first (a Set iterates in insertion order). */
  readonly #order = new Set<Slot>();
  readonly #maxEntries: number;

  constructor(maxEntries = ANSWER_CACHE_ENTRIES) {
    this.#maxEntries = Math.max(1, Math.floor(maxEntries));
  }

  get size(): number {
    return this.#order.size;
  }

  /**
   * The cached answer for this key if still valid: `ready` says what the
   * mirror holds now (MirrorService.ready), undefined when it no longer holds all.
   */
  get(
    key: AnswerKey,
    ready: (requests: readonly CopyRequest[]) => ReadonlyMap<string, CopyOutcome> | undefined,
  ): CachedAnswer | undefined {
    const id = bucketOf(key);
    const slot = this.#buckets.get(id)?.find((candidate) => candidate.before === key.before && candidate.after === key.after);
    if (slot === undefined) return undefined;
    const entry = slot.answer;
    if (entry.requests.length > 0) {
      const outcomes = ready(entry.requests);
      for (const [copyKey, digest] of entry.digests) {
        const outcome = outcomes?.get(copyKey);
        if (outcome?.status !== 'ready' || outcome.digest !== digest) {
          this.#remove(id, slot);
          return undefined;
        }
      }
    }
    this.#order.delete(slot);
    this.#order.add(slot);
    return entry;
  }

  set(key: AnswerKey, answer: CachedAnswer): void {
    if (key.before.length + key.after.length > MAX_KEY_CHARS) return;
    const id = bucketOf(key);
    const bucket = (this.#buckets.get(id) ?? []).filter((slot) => {
      const same = slot.before === key.before && slot.after === key.after;
      if (same) this.#order.delete(slot);
      return !same;
    });
    // Flattened copies: the request's slices would keep its whole body alive.
    const slot: Slot = { before: flat(key.before), after: flat(key.after), answer };
    bucket.push(slot);
    while (bucket.length > MAX_BUCKET_SLOTS) {
      const oldest = bucket.shift();
      if (oldest !== undefined) this.#order.delete(oldest);
    }
    this.#buckets.set(id, bucket);
    this.#order.add(slot);
    while (this.#order.size > this.#maxEntries) {
      const oldest = this.#order.values().next();
      if (oldest.done === true) break;
      this.#remove(bucketOf(oldest.value), oldest.value);
    }
  }

  #remove(id: string, slot: Slot): void {
    this.#order.delete(slot);
    const rest = (this.#buckets.get(id) ?? []).filter((other) => other !== slot);
    if (rest.length === 0) this.#buckets.delete(id);
    else this.#buckets.set(id, rest);
  }
}

/** Both lengths (where the uid was) and SAMPLES characters spread over the text. */
function bucketOf(key: Pick<AnswerKey, 'before' | 'after'>): string {
  const { before, after } = key;
  const total = before.length + after.length;
  let sample = `${before.length}/${after.length}/`;
  for (let i = 0; i < SAMPLES && total > 0; i += 1) {
    const at = Math.floor((i * total) / SAMPLES);
    sample += at < before.length ? before.charAt(at) : after.charAt(at - before.length);
  }
  return sample;
}

/** A copy that owns its characters (a round trip through JSON builds a new string), not a slice of the body. */
function flat(text: string): string {
  const copy: unknown = JSON.parse(JSON.stringify(text));
  return typeof copy === 'string' ? copy : text;
}

/**
 * The cache key of a review: its text with the request uid's value blanked.
 * Taken from the raw text, not by serializing the parsed review again: this
 * runs on every admission, and JSON.stringify of the review cost more than
 * the rest of a cached answer.
 *
 * Only an identical request may share a key, whoever sent the body (any Pod
 * can post one: SECURITY.md). So the uid's value, quoted as JSON writes it,
 * must occur exactly once in the text and right after a `"uid":` member
 * name; otherwise there is no key and the full path answers. Two bodies with
 * one key then differ only in that one member's value, and it is the request
 * uid in both (a review with one `uid` member in its request, as the API
 * server sends: a body whose request.uid comes from a later duplicate member
 * cannot reach the key of such a review, whose blanked value would have to
 * be that member's). The body's size bounds the key's.
 */
export function answerKey(review: unknown, text: string): AnswerKey | undefined {
  if (text.length > MAX_KEY_CHARS || !isJsonObject(review)) return undefined;
  const request = review['request'];
  if (!isJsonObject(request)) return undefined;
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') return undefined;
  const quoted = JSON.stringify(uid);
  const at = text.indexOf(quoted);
  if (at < 0 || text.indexOf(quoted, at + 1) >= 0 || !UID_MEMBER.test(text.slice(Math.max(0, at - 32), at))) return undefined;
  return { before: text.slice(0, at), after: text.slice(at + quoted.length), uid };
}

/**
 * The key of a body whose request is answered from the cache before it is
 * parsed: the value of its first `"uid"` member (where the API server, and
 * any client writing the AdmissionReview in field order, puts the request's
 * uid), when that value is a plain string literal. A body then matches
 * only a cached review that is the same text in every other byte with its
 * uid at the same place (both sides equal), which answerKey checked was the
 * request's uid. Such a body needs no parsing: it is that
 * valid review with another plain uid. Anything else (no such member, an
 * escaped or empty value, a big body) has no key here and is parsed.
 */
export function peekAnswerKey(text: string): AnswerKey | undefined {
  if (text.length > MAX_KEY_CHARS) return undefined;
  const member = FIRST_UID_MEMBER.exec(text);
  if (member === null) return undefined;
  const start = member.index + member[0].length - 1;
  const end = text.indexOf('"', start + 1);
  const uid = text.slice(start + 1, end);
  if (end < 0 || !PLAIN_UID.test(uid)) return undefined;
  return { before: text.slice(0, start), after: text.slice(end + 1), uid };
}

/**
 * A review's text on either side of its uid's string literal (quotes
 * included in neither), and the uid. Two keys are equal when both sides
 * are: the same text but the uid, with the uid at the same place.
 */
export interface AnswerKey {
  readonly before: string;
  readonly after: string;
  readonly uid: string;
}

const FIRST_UID_MEMBER = /"uid"[ \t\n\r]*:[ \t\n\r]*"/;
/** Non-empty, nothing JSON escapes: the literal's text is its value. */
const PLAIN_UID = /^[^"\\\u0000-\u001f]+$/;

/** What precedes the uid's value: its member name, then the colon, whitespace allowed (RFC 8259 section 2). */
const UID_MEMBER = /"uid"[ \t\n\r]*:[ \t\n\r]*$/;


/** The serialized review split around its uid, so another uid can be put in without serializing again. */
export function splitAroundUid(serialize: (uid: string) => string): { readonly before: string; readonly after: string } {
  const text = serialize(UID_MARK);
  const marked = JSON.stringify(UID_MARK);
  const at = text.indexOf(marked);
  return { before: text.slice(0, at), after: text.slice(at + marked.length) };
}

export function answerBody(answer: Pick<CachedAnswer, 'before' | 'after'>, uid: string): string {
  return `${answer.before}${JSON.stringify(uid)}${answer.after}`;
}
