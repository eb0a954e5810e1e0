/**
 * RFC 6902 "add" and "replace" on plain data: what the API server does with
 * the webhook's patch. The rewrite applies it to each document's data too,
 * and checks that re-reading the edited text gives exactly that, so a text
 * edit can never change anything the patch did not.
 */
import { ClonerError } from '../core/errors.js';
import { isJsonObject } from '../core/json-object.js';
import { parsePointer } from '../core/json-patch.js';
import type { PatchOp } from '../core/json-patch.js';

export function applyPatch(value: unknown, ops: readonly PatchOp[]): unknown {
  const root: { value: unknown } = { value: structuredClone(value) };
  for (const op of ops) {
    const tokens = parsePointer(op.path);
    if (tokens === undefined || op.op === 'test') throw patchError(op);
    let parent: unknown = root;
    let key: string = 'value';
    for (const token of tokens) {
      parent = memberOf(parent, key, op);
      key = token;
    }
    if (Array.isArray(parent)) {
      if (op.op === 'add' && key === '-') parent.push(op.value);
      else if (/^(0|[1-9]\d*)$/.test(key) && Number(key) < parent.length) parent.splice(Number(key), op.op === 'add' ? 0 : 1, op.value);
      else throw patchError(op);
    } else if (isJsonObject(parent) && (op.op === 'add' || key in parent)) {
      parent[key] = op.value;
    } else {
      throw patchError(op);
    }
  }
  return root.value;
}

function memberOf(parent: unknown, key: string, op: PatchOp): unknown {
  if (Array.isArray(parent)) return parent[Number(key)];
  if (isJsonObject(parent)) return parent[key];
  throw patchError(op);
}

function patchError(op: PatchOp): ClonerError {
  return new ClonerError('IC_ERR_BAD_INPUT', `patch op ${op.op} ${op.path} does not apply`);
}
