/**
 * What every answer to a fuzzed AdmissionReview must satisfy: 200 with a
 * well-formed AdmissionReview v1 response carrying the request's uid (or
 * 400 when the body is not an AdmissionReview with a uid, or is not UTF-8
 * JSON), a patch made only of `replace`/`add` ops on image paths of the
 * right pod spec (plus the original-images annotation and, when configured,
 * imagePullSecrets) that applies cleanly and changes nothing else, every
 * rewritten image a valid reference under the backup registry, and short
 * warnings. Throws an Error naming the first broken invariant.
 */
import { MAX_WARNINGS } from '../../../src/core/admission-warnings.js';
import { parseImageRef } from '../../../src/core/reference.js';
import { applyPatch } from '../../core/apply-patch.js';
import { valueAt } from '../../core/k8s-fixtures.js';
import { readAdmissionResponse } from '../../helpers/admission-response.js';
import type { FuzzCase } from './mutators.js';
import { setPointer } from './pointer.js';
import { POD_SPEC_PATHS, WORKLOAD_GROUPS, isRecord } from './pod-spec-paths.js';

export interface Expectations {
  /** `host[:port][/prefix]` every rewritten image must start with. */
  readonly backup: string;
  readonly annotationKey: string;
  readonly pullSecret?: string;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** The uid the answer must echo, or undefined when the body must get a 400. */
export function expectedUid(fuzz: FuzzCase): string | undefined {
  if (fuzz.invalidUtf8) return undefined;
  const review = fuzz.value;
  if (!isRecord(review) || review['apiVersion'] !== 'admission.k8s.io/v1' || review['kind'] !== 'AdmissionReview') return undefined;
  const request = review['request'];
  if (!isRecord(request)) return undefined;
  const uid = request['uid'];
  // A sentinel stands for deep nesting: not a string once spliced.
  return typeof uid === 'string' && uid !== '' && !uid.startsWith('\u0001') ? uid : undefined;
}

/** What the answer was, once every invariant held. */
export type AnswerKind = 'refused' | 'allowed' | 'denied' | 'patched';

export function checkAnswer(fuzz: FuzzCase, answer: Answer, expect: Expectations): AnswerKind {
  const uid = expectedUid(fuzz);
  if (uid === undefined) {
    if (answer.status !== 400) throw new Error(`expected 400 for a body that is no AdmissionReview, got ${answer.status}: ${answer.body.slice(0, 200)}`);
    return 'refused';
  }
  if (answer.status !== 200) throw new Error(`expected 200, got ${answer.status}: ${answer.body.slice(0, 200)}`);
  const response = readAdmissionResponse(answer.body);
  if (response.uid !== uid) throw new Error(`uid ${response.uid} is not the request's ${uid}`);
  if (response.warnings.length > MAX_WARNINGS) throw new Error(`${response.warnings.length} warnings`);
  for (const warning of response.warnings) {
    if (warning.length >= 120) throw new Error(`warning of ${warning.length} characters: ${warning}`);
  }
  if (response.patch === undefined) return response.allowed ? 'allowed' : 'denied';
  if (!response.allowed) throw new Error('a denial carries a patch');
  checkPatch(fuzz, response.patch, expect);
  return 'patched';
}

function checkPatch(fuzz: FuzzCase, patch: readonly unknown[], expect: Expectations): void {
  const request = isRecord(fuzz.value) ? fuzz.value['request'] : undefined;
  const gvk = isRecord(request) ? request['kind'] : undefined;
  const kind = isRecord(gvk) && typeof gvk['kind'] === 'string' ? gvk['kind'] : '';
  const tokens = POD_SPEC_PATHS[kind];
  if (tokens === undefined || !isRecord(gvk) || gvk['group'] !== WORKLOAD_GROUPS[kind]) throw new Error(`a patch for kind ${JSON.stringify(gvk)}`);
  const spec = tokens.map((t) => `/${t}`).join('');
  const imagePath = new RegExp(`^${spec}/(?:(?:containers|initContainers|ephemeralContainers)/(?:0|[1-9][0-9]*)/image|volumes/(?:0|[1-9][0-9]*)/image/reference)$`);
  const keyToken = expect.annotationKey.replaceAll('~', '~0').replaceAll('/', '~1');
  for (const op of patch) {
    if (!isRecord(op) || typeof op['path'] !== 'string') throw new Error(`malformed op ${JSON.stringify(op)}`);
    const { path, value } = op;
    if (op['op'] === 'replace' && imagePath.test(path)) {
      checkBackupImage(value, expect.backup);
    } else if (op['op'] === 'add' && path === '/metadata') {
      checkAnnotations(isRecord(value) ? value['annotations'] : undefined, expect.annotationKey, Object.keys(value ?? {}).length);
    } else if (op['op'] === 'add' && path === '/metadata/annotations') {
      checkAnnotations(value, expect.annotationKey, 1);
    } else if (op['op'] === 'add' && path === `/metadata/annotations/${keyToken}`) {
      if (typeof value !== 'string') throw new Error(`annotation value ${JSON.stringify(value)}`);
    } else if (expect.pullSecret !== undefined && op['op'] === 'add' && path === `${spec}/imagePullSecrets`) {
      if (JSON.stringify(value) !== JSON.stringify([{ name: expect.pullSecret }])) throw new Error(`imagePullSecrets ${JSON.stringify(value)}`);
    } else if (expect.pullSecret !== undefined && op['op'] === 'add' && path === `${spec}/imagePullSecrets/-`) {
      if (JSON.stringify(value) !== JSON.stringify({ name: expect.pullSecret })) throw new Error(`imagePullSecrets entry ${JSON.stringify(value)}`);
    } else {
      throw new Error(`op outside the image paths: ${JSON.stringify(op).slice(0, 300)}`);
    }
  }
  // Too deep for structuredClone and JSON.stringify: the paths alone were checked.
  if (!fuzz.deep) checkOnlyImagesChanged(request, patch, expect, spec);
}

function checkBackupImage(value: unknown, backup: string): void {
  if (typeof value !== 'string' || !value.startsWith(`${backup}/`)) throw new Error(`rewritten image ${JSON.stringify(value)} is not under ${backup}`);
  const ref = parseImageRef(value);
  if (ref.digest === undefined) throw new Error(`rewritten image ${value} is not pinned to a digest`);
}

function checkAnnotations(value: unknown, key: string, members: number): void {
  if (!isRecord(value) || members !== 1 || Object.keys(value).length !== 1 || typeof value[key] !== 'string') {
    throw new Error(`annotations added as ${JSON.stringify(value)}`);
  }
}

/** Applies the patch, puts every patched field back, and compares with the object sent. */
function checkOnlyImagesChanged(request: unknown, patch: readonly unknown[], expect: Expectations, spec: string): void {
  const object = isRecord(request) ? request['object'] : undefined;
  const patched = applyPatch(object, patch);
  const restored = structuredClone(patched);
  for (const op of patch) {
    if (!isRecord(op) || typeof op['path'] !== 'string') continue;
    if (op['op'] === 'replace') setPointer(restored, op['path'], valueAt(object, op['path']));
  }
  const metadata = isRecord(object) ? object['metadata'] : undefined;
  const restoredMeta = isRecord(restored) ? restored['metadata'] : undefined;
  if (isRecord(restored) && !isRecord(metadata) && metadata === undefined) delete restored['metadata'];
  else if (isRecord(restored) && !isRecord(metadata)) restored['metadata'] = metadata;
  else if (isRecord(restoredMeta) && isRecord(metadata)) {
    const annotations = restoredMeta['annotations'];
    if (!Object.hasOwn(metadata, 'annotations')) delete restoredMeta['annotations'];
    else if (!isRecord(metadata['annotations'])) restoredMeta['annotations'] = metadata['annotations'];
    else if (isRecord(annotations)) {
      const before = metadata['annotations'];
      if (Object.hasOwn(before, expect.annotationKey)) annotations[expect.annotationKey] = before[expect.annotationKey];
      else delete annotations[expect.annotationKey];
    }
  }
  if (expect.pullSecret !== undefined) {
    const original = valueAt(object, `${spec}/imagePullSecrets`);
    const parent = valueAt(restored, spec);
    if (isRecord(parent) && original === undefined) delete parent['imagePullSecrets'];
    else if (isRecord(parent)) parent['imagePullSecrets'] = structuredClone(original);
  }
  if (JSON.stringify(restored) !== JSON.stringify(object)) throw new Error('the patch changed more than image paths and the annotation');
}
