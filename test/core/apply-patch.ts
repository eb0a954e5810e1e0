/**
 * A tiny RFC 6902 applier for tests, written apart from src/core/json-patch
 * so that a mistake there is not repeated here: add, remove, replace, test
 * on RFC 6901 pointers. Like the API server, it refuses the whole patch on
 * the first failing op (a bad path or a failing test).
 */

export class PatchError extends Error {}

export function applyPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new PatchError('patch is not an array');
  let result = structuredClone(document);
  for (const op of patch) result = applyOp(result, op);
  return result;
}

function applyOp(document: unknown, op: unknown): unknown {
  if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
    throw new PatchError(`malformed op ${JSON.stringify(op)}`);
  }
  const tokens = splitPointer(op.path);
  const value = structuredClone(op.value);
  if (op.op === 'test') {
    if (JSON.stringify(resolve(document, tokens)) !== JSON.stringify(value)) throw new PatchError(`test failed at ${op.path}`);
    return document;
  }
  if (!['add', 'replace', 'remove'].includes(op.op)) throw new PatchError(`unsupported op ${op.op}`);
  if (op.op !== 'remove' && !('value' in op)) throw new PatchError(`${op.op} without value`);
  const last = tokens.at(-1);
  if (last === undefined) {
    if (op.op === 'remove') throw new PatchError('cannot remove the whole document');
    return value;
  }
  const parent = resolve(document, tokens.slice(0, -1));
  if (Array.isArray(parent)) {
    const index = last === '-' && op.op === 'add' ? parent.length : arrayIndex(last);
    const limit = op.op === 'add' ? parent.length : parent.length - 1;
    if (index === undefined || index > limit) throw new PatchError(`index ${last} out of range at ${op.path}`);
    if (op.op === 'add') parent.splice(index, 0, value);
    else if (op.op === 'replace') parent[index] = value;
    else parent.splice(index, 1);
    return document;
  }
  if (!isRecord(parent)) throw new PatchError(`parent of ${op.path} is not a container`);
  if (op.op !== 'add' && !Object.hasOwn(parent, last)) throw new PatchError(`no member at ${op.path}`);
  if (op.op === 'remove') delete parent[last];
  else parent[last] = value;
  return document;
}

function resolve(document: unknown, tokens: readonly string[]): unknown {
  let node = document;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      const index = arrayIndex(token);
      if (index === undefined || index >= node.length) throw new PatchError(`no element ${token}`);
      node = node[index];
    } else if (isRecord(node) && Object.hasOwn(node, token)) {
      node = node[token];
    } else {
      throw new PatchError(`no member ${token}`);
    }
  }
  return node;
}

function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (pointer[0] !== '/') throw new PatchError(`pointer ${pointer} does not start with /`);
  // RFC 6901 section 4: ~1 before ~0, so "~01" reads as "~1".
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
