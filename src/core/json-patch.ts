/**
 * JSON Patch (RFC 6902) operations on JSON Pointers (RFC 6901): the only
 * patch format an admission webhook may return (`patchType: JSONPatch`,
 * CLUSTER-NOTES 1.8). Ops name exact paths; whole objects are never diffed
 * (STYLE rule 7).
 */
import { assertNever } from './errors.js';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export type PatchOp =
  | { readonly op: 'add'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'replace'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'test'; readonly path: string; readonly value: JsonValue };

/** RFC 6901 section 3: "~" is written "~0" and "/" is written "~1" (in that order). */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** RFC 6901 section 4: "~1" is read as "/" first, then "~0" as "~". */
export function unescapePointerToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** A JSON Pointer from unescaped tokens; the empty list is the whole document (""). */
export function formatPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${escapePointerToken(String(token))}`).join('');
}

/** The unescaped tokens of a pointer; undefined when it does not start with "/" (and is not ""). */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map(unescapePointerToken);
}

export function addOp(path: string, value: JsonValue): PatchOp {
  return { op: 'add', path, value };
}

export function replaceOp(path: string, value: JsonValue): PatchOp {
  return { op: 'replace', path, value };
}

/**
 * RFC 6902 4.6. Not emitted by the planner: the patch is applied to the very
 * object the webhook saw, so a test could only fail on a bug, and a failing
 * patch is a 500 even under `failurePolicy: Ignore` (CLUSTER-NOTES 1.8).
 */
export function testOp(path: string, value: JsonValue): PatchOp {
  return { op: 'test', path, value };
}

/** What the object's metadata holds now, which decides the shape of the ops. */
export type AnnotationsState = 'no-metadata' | 'no-annotations' | 'present';

/**
 * Sets one annotation. RFC 6902 4.1: "add" needs the parent to exist, so
 * when `metadata.annotations` is absent (or null) the whole map is added;
 * when present, only the key (escaped: annotation keys hold "/") is added,
 * and "add" on an existing member replaces it.
 */
export function setAnnotationOps(state: AnnotationsState, key: string, value: string): PatchOp[] {
  switch (state) {
    case 'no-metadata':
      return [addOp('/metadata', { annotations: { [key]: value } })];
    case 'no-annotations':
      return [addOp('/metadata/annotations', { [key]: value })];
    case 'present':
      return [addOp(formatPointer(['metadata', 'annotations', key]), value)];
    default:
      return assertNever(state);
  }
}
