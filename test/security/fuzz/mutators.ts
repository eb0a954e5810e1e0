/**
 * Mutates AdmissionReviews for the fuzzer: delete, retype or duplicate
 * fields, nest deep, grow huge container lists, plant prototype keys
 * (also as container names and annotation keys), and set hostile images.
 * Deep nesting and invalid UTF-8 cannot be held in a JS value that
 * JSON.stringify can write (it recurses; strings are UTF-16), so they are
 * planted as sentinel strings and spliced into the encoded bytes.
 */
import { POD_SPEC_PATHS, isRecord } from './pod-spec-paths.js';
import { defineKey, hostileImage, hostileValue, PROTO_KEYS, protoObject } from './hostile-values.js';
import type { Prng } from './prng.js';

type Json = unknown;
type Container = Record<string, unknown> | unknown[];

const DEEP = '\u0001DEEP:';
const BAD_UTF8 = '\u0001BADUTF8\u0001';
const DUP = '\u0001DUP:';
const END = '\u0001';
/** Bytes that are not UTF-8: a lone continuation, an overlong NUL, a UTF-16 surrogate, 0xFF. */
const INVALID_UTF8 = Buffer.from([0x80, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xff, 0xfe]);

export interface FuzzCase {
  readonly value: Json;
  /** What was done, for the failure message. */
  readonly steps: readonly string[];
  /** Nesting deeper than JSON.stringify or structuredClone can walk: only the answer is checked. */
  readonly deep: boolean;
  readonly invalidUtf8: boolean;
}

const MUTATIONS: Record<string, (root: Record<string, unknown>, rng: Prng) => boolean> = {
  delete: (root, rng) => withTarget(root, rng, (node, key) => removeAt(node, key)),
  retype: (root, rng) => withTarget(root, rng, (node, key) => setAt(node, key, hostileValue(rng))),
  duplicate: (root, rng) =>
    withTarget(root, rng, (node, key) => {
      const value = getAt(node, key);
      if (Array.isArray(node)) node.splice(Number(key), 0, ...Array.from({ length: rng.int(1, 50) }, () => value));
      else setAt(node, `${String(key)}${rng.pick(['', '_', ' ', 'Dup'])}`, value);
      return true;
    }),
  nest: (root, rng) => withTarget(root, rng, (node, key) => setAt(node, key, nested(rng.int(10, 800), rng))),
  deepNest: (root, rng) => withTarget(root, rng, (node, key) => setAt(node, key, `${DEEP}${rng.int(10_000, 100_000)}${END}`)),
  hugeContainers: (root, rng) => {
    const spec = podSpecOf(root);
    if (spec === undefined) return false;
    const field = rng.pick(['containers', 'initContainers', 'ephemeralContainers', 'volumes']);
    spec[field] = Array.from({ length: rng.int(200, 3_000) }, (_, i) =>
      field === 'volumes'
        ? { name: `v${i}`, image: { reference: rng.chance(0.5) ? `img${i % 7}:1` : hostileImage(rng) } }
        : { name: `c${i}`, image: rng.chance(0.5) ? `registry.example/app${i % 13}:v1` : hostileImage(rng) },
    );
    return true;
  },
  protoKeys: (root, rng) => {
    for (let n = rng.int(1, 6); n > 0; n--) {
      withTarget(root, rng, (node) => {
        if (Array.isArray(node)) node.push(protoObject(rng));
        else defineKey(node, rng.pick(PROTO_KEYS), rng.chance(0.5) ? protoObject(rng) : hostileValue(rng));
        return true;
      });
    }
    return true;
  },
  protoNames: (root, rng) => {
    const spec = podSpecOf(root);
    const object = requestObject(root);
    const meta = isRecord(object) ? object['metadata'] : undefined;
    if (isRecord(meta)) {
      const annotations = isRecord(meta['annotations']) ? meta['annotations'] : {};
      defineKey(annotations, rng.pick(PROTO_KEYS), rng.chance(0.7) ? 'x' : protoObject(rng));
      meta['annotations'] = annotations;
    }
    if (spec === undefined) return isRecord(meta);
    const containers = Array.isArray(spec['containers']) ? spec['containers'] : [];
    containers.push({ name: rng.pick(PROTO_KEYS), image: rng.chance(0.5) ? 'registry.example/app:v1' : hostileImage(rng) });
    spec['containers'] = containers;
    return true;
  },
  hostileImage: (root, rng) => {
    const spec = podSpecOf(root);
    if (spec === undefined) return false;
    const field = rng.pick(['containers', 'initContainers', 'ephemeralContainers']);
    const list = Array.isArray(spec[field]) ? (spec[field] as unknown[]) : [];
    const index = rng.int(0, list.length);
    const current = list[index];
    const name = isRecord(current) && typeof current['name'] === 'string' ? current['name'] : `fuzz${index}`;
    list[index] = { ...(isRecord(current) ? current : {}), name, image: hostileImage(rng) };
    spec[field] = list;
    return true;
  },
  hostileVolume: (root, rng) => {
    const spec = podSpecOf(root);
    if (spec === undefined) return false;
    const list = Array.isArray(spec['volumes']) ? spec['volumes'] : [];
    list.push({ name: `vol${list.length}`, image: { reference: hostileImage(rng), pullPolicy: 'IfNotPresent' } });
    spec['volumes'] = list;
    return true;
  },
  request: (root, rng) => {
    const request = root['request'];
    if (!isRecord(request)) return false;
    const field = rng.pick(['uid', 'kind', 'operation', 'subResource', 'object', 'oldObject', 'dryRun', 'resource', 'namespace']);
    if (rng.chance(0.3)) delete request[field];
    else if (field === 'operation') request[field] = rng.pick(['CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'create', 'PATCH', '']);
    else if (field === 'oldObject' && rng.chance(0.6)) request[field] = structuredCloneSafe(request['object']);
    else request[field] = hostileValue(rng);
    return true;
  },
  envelope: (root, rng) => {
    const field = rng.pick(['apiVersion', 'kind', 'request', 'response']);
    if (rng.chance(0.4)) delete root[field];
    else root[field] = rng.pick(['admission.k8s.io/v1beta1', 'AdmissionReview', 'v1', null, 7, hostileValue(rng)]);
    return true;
  },
  badUtf8: (root, rng) => withTarget(root, rng, (node, key) => setAt(node, key, BAD_UTF8)),
  // A member written twice in the JSON text (JSON.parse keeps the last, like Go's decoder).
  duplicateKey: (root, rng) =>
    withTarget(root, rng, (node, key) => {
      if (Array.isArray(node)) return false;
      defineKey(node, `${DUP}${String(key)}${END}`, hostileValue(rng));
      return true;
    }),
};

const COMMON_MUTATIONS = Object.keys(MUTATIONS).filter((m) => m !== 'deepNest' && m !== 'badUtf8');

/** One to four mutations of a copy of `seed`; the rare byte-level ones at most once. */
export function mutateReview(seed: Json, rng: Prng): FuzzCase {
  const value = structuredClone(seed);
  const root = isRecord(value) ? value : {};
  const steps: string[] = [];
  for (let n = rng.int(1, 4); n > 0; n--) {
    const roll = rng.next();
    const name = roll < 0.01 ? 'deepNest' : roll < 0.02 ? 'badUtf8' : rng.pick(COMMON_MUTATIONS);
    const mutate = MUTATIONS[name];
    if (mutate !== undefined && mutate(root, rng)) steps.push(name);
  }
  return { value: root, steps, deep: false, invalidUtf8: false };
}

export interface EncodedCase {
  readonly bytes: Buffer;
  /** The case, its flags set from the sentinels that survived the later mutations. */
  readonly fuzz: FuzzCase;
}

/** JSON bytes of a case, with the sentinels replaced by deep nesting or invalid UTF-8. */
export function encodeCase(fuzz: FuzzCase): EncodedCase {
  const text = JSON.stringify(fuzz.value) ?? 'null';
  const parts: Buffer[] = [];
  const pattern = /"\\u0001(DEEP:(\d+)|BADUTF8)\\u0001"/g;
  let last = 0;
  let deep = false;
  let invalidUtf8 = false;
  // A duplicated key is written under its sibling's name: the document the server reads is that text.
  const deduped = text.replace(/"\\u0001DUP:((?:[^"\\]|\\.)*?)\\u0001":/g, (_match, name: string) => `"${name}":`);
  const duplicated = deduped !== text;
  for (const match of deduped.matchAll(pattern)) {
    parts.push(Buffer.from(deduped.slice(last, match.index), 'utf8'));
    const depth = match[2];
    if (depth !== undefined) {
      deep = true;
      parts.push(Buffer.from(`${'['.repeat(Number(depth))}${']'.repeat(Number(depth))}`));
    } else {
      invalidUtf8 = true;
      parts.push(Buffer.concat([Buffer.from('"'), INVALID_UTF8, Buffer.from('"')]));
    }
    last = match.index + match[0].length;
  }
  parts.push(Buffer.from(deduped.slice(last), 'utf8'));
  const bytes = Buffer.concat(parts);
  const value: unknown = duplicated && !invalidUtf8 ? JSON.parse(bytes.toString('utf8')) : fuzz.value;
  return { bytes, fuzz: { ...fuzz, value, deep, invalidUtf8 } };
}

function requestObject(root: Record<string, unknown>): unknown {
  const request = root['request'];
  return isRecord(request) ? request['object'] : undefined;
}

/** The pod spec of the review's object, by kind, when it has one. */
export function podSpecOf(root: Record<string, unknown>): Record<string, unknown> | undefined {
  const object = requestObject(root);
  if (!isRecord(object) || typeof object['kind'] !== 'string') return undefined;
  const tokens = POD_SPEC_PATHS[object['kind']];
  if (tokens === undefined) return undefined;
  let node: unknown = object;
  for (const token of tokens) {
    if (!isRecord(node)) return undefined;
    node = node[token];
  }
  return isRecord(node) ? node : undefined;
}

/** Picks a random member of a random container on a walk down from the object (mostly) or the review. */
function withTarget(root: Record<string, unknown>, rng: Prng, act: (node: Container, key: string | number) => boolean): boolean {
  const start = rng.chance(0.5) ? podSpecOf(root) : rng.chance(0.8) ? requestObject(root) : root;
  let node: unknown = start ?? root;
  let parent: Container | undefined;
  let key: string | number | undefined;
  for (let depth = 0; depth < 12; depth++) {
    const container: Container | undefined = Array.isArray(node) || isRecord(node) ? node : undefined;
    const keys: (string | number)[] = Array.isArray(container) ? container.map((_, i) => i) : container === undefined ? [] : Object.keys(container);
    if (container === undefined || keys.length === 0 || (parent !== undefined && rng.chance(0.25))) break;
    parent = container;
    key = rng.pick(keys);
    node = getAt(parent, key);
  }
  if (parent === undefined || key === undefined) return false;
  return act(parent, key);
}

function getAt(node: Container, key: string | number): unknown {
  return Array.isArray(node) ? node[Number(key)] : Object.hasOwn(node, key) ? node[String(key)] : undefined;
}

function setAt(node: Container, key: string | number, value: unknown): boolean {
  if (Array.isArray(node)) node[Number(key)] = value;
  else defineKey(node, String(key), value);
  return true;
}

function removeAt(node: Container, key: string | number): boolean {
  if (Array.isArray(node)) node.splice(Number(key), 1);
  else delete node[String(key)];
  return true;
}

/** Nested arrays and objects, `depth` levels, built without recursion. */
function nested(depth: number, rng: Prng): unknown {
  let value: unknown = hostileImage(rng);
  for (let i = 0; i < depth; i++) value = rng.chance(0.5) ? [value] : { image: value };
  return value;
}

function structuredCloneSafe(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return null;
  }
}
