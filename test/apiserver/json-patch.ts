/**
 * RFC 6902 JSON Patch (all six operations) over RFC 6901 pointers, written
 * apart from src/ so that a mistake there is not repeated here. The API
 * server applies a webhook's patch with evanphx/json-patch and refuses the
 * whole patch on the first failing operation (CLUSTER-NOTES 1.8: 500).
 * evanphx v4 also accepts negative array indices; RFC 6902 does not, and
 * neither does this.
 */
import { jsonEqual } from './json-equal.js';

export class JsonPatchError extends Error {
  readonly code = 'JSON_PATCH_FAILED';
}

type Json = unknown;

export function applyJsonPatch(document: Json, patch: readonly unknown[]): Json {
  let result = structuredClone(document);
  patch.forEach((op, i) => {
    try {
      result = applyOperation(result, op);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new JsonPatchError(`operation ${i} ${JSON.stringify(op)}: ${message}`, { cause: error });
    }
  });
  return result;
}

function applyOperation(document: Json, op: unknown): Json {
  if (!isRecord(op)) throw new Error('an operation must be an object');
  const kind = op.op;
  const path = pointer(op, 'path');
  switch (kind) {
    case 'add':
      return add(document, path, valueOf(op));
    case 'remove':
      return remove(document, path);
    case 'replace':
      return add(remove(document, path, true), path, valueOf(op));
    case 'move': {
      const from = pointer(op, 'from');
      if (path.length > from.length && from.every((token, i) => path[i] === token)) {
        throw new Error('"from" must not be a proper prefix of "path"');
      }
      const value = get(document, from);
      return add(remove(document, from), path, value);
    }
    case 'copy':
      return add(document, path, structuredClone(get(document, pointer(op, 'from'))));
    case 'test':
      if (!jsonEqual(get(document, path), valueOf(op))) throw new Error('test failed');
      return document;
    default:
      throw new Error(`unknown op ${JSON.stringify(kind)}`);
  }
}

function valueOf(op: Record<string, unknown>): Json {
  if (!Object.hasOwn(op, 'value')) throw new Error('missing "value"');
  return structuredClone(op.value);
}

function pointer(op: Record<string, unknown>, member: 'path' | 'from'): string[] {
  const text = op[member];
  if (typeof text !== 'string') throw new Error(`missing "${member}"`);
  if (text === '') return [];
  if (!text.startsWith('/')) throw new Error(`${member} ${JSON.stringify(text)} does not start with "/"`);
  // RFC 6901 section 4: "~1" before "~0", so that "~01" reads as "~1".
  return text
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw new Error(`bad escape in ${JSON.stringify(text)}`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function arrayIndex(token: string, length: number, forAdd: boolean): number {
  if (forAdd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`${JSON.stringify(token)} is not an array index`);
  const index = Number(token);
  if (index > (forAdd ? length : length - 1)) throw new Error(`index ${index} out of range`);
  return index;
}

function get(document: Json, tokens: readonly string[]): Json {
  let node = document;
  for (const token of tokens) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)];
    else if (isRecord(node) && Object.hasOwn(node, token)) node = node[token];
    else throw new Error(`path /${tokens.join('/')} does not exist`);
  }
  return node;
}

/** Mutates `document` in place except at the root, and returns the new root. */
function add(document: Json, tokens: readonly string[], value: Json): Json {
  const last = tokens.at(-1);
  if (last === undefined) return value;
  const parent = get(document, tokens.slice(0, -1));
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else if (isRecord(parent)) parent[last] = value;
  else throw new Error(`parent of /${tokens.join('/')} is not a container`);
  return document;
}

function remove(document: Json, tokens: readonly string[], forReplace = false): Json {
  const last = tokens.at(-1);
  if (last === undefined) {
    if (forReplace) return document; // replacing the root: the add that follows sets it
    throw new Error('cannot remove the whole document');
  }
  const parent = get(document, tokens.slice(0, -1));
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false), 1);
  else if (isRecord(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new Error(`path /${tokens.join('/')} does not exist`);
  return document;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
