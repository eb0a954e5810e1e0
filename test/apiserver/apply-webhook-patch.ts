/**
 * What the API server does with an allowed response's patch (CLUSTER-NOTES
 * 1.8; src `mutating/dispatcher.go` after VerifyAdmissionResponse): an
 * empty patch or `[]` changes nothing; a patch that is not a JSON array of
 * objects is a call error, as is a patchType other than JSONPatch; a patch
 * for a request without an object (DELETE) and a patch that fails to apply
 * or leaves something that is not an object are 500 whatever the
 * failurePolicy.
 */
import { applyJsonPatch, JsonPatchError } from './json-patch.js';
import { internalError } from './status-errors.js';
import type { ApiStatus } from './types.js';

export type PatchOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'patched'; readonly ops: readonly unknown[]; readonly object: Record<string, unknown> }
  | { readonly kind: 'call-error'; readonly message: string }
  | { readonly kind: 'reject'; readonly status: ApiStatus };

export function applyWebhookPatch(webhook: string, patch: Buffer, patchType: string, object: unknown): PatchOutcome {
  if (patch.length === 0) return { kind: 'unchanged' };
  let ops: unknown;
  try {
    ops = JSON.parse(patch.toString('utf8'));
  } catch (error) {
    return { kind: 'call-error', message: `received undecodable patch in webhook response: ${error instanceof Error ? error.message : String(error)}` };
  }
  // jsonpatch.DecodePatch reads []map[string]*json.RawMessage: an array of objects (null decodes as an empty op).
  if (!Array.isArray(ops) || !ops.every((op) => op === null || (typeof op === 'object' && !Array.isArray(op)))) {
    return { kind: 'call-error', message: 'received undecodable patch in webhook response: json: cannot unmarshal into Go value of type jsonpatch.Patch' };
  }
  if (ops.length === 0) return { kind: 'unchanged' };
  if (object === null || object === undefined) {
    return {
      kind: 'reject',
      status: internalError(`admission webhook "${webhook}" attempted to modify the object, which is not supported for this operation`),
    };
  }
  if (patchType !== 'JSONPatch') return { kind: 'call-error', message: `unsupported patch type "${patchType}"` };
  let patched: unknown;
  try {
    patched = applyJsonPatch(object, ops);
  } catch (error) {
    if (!(error instanceof JsonPatchError)) throw error;
    return { kind: 'reject', status: internalError(error.message) };
  }
  // The patched JSON is decoded back into the object's type; anything but an object cannot be.
  if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) {
    return { kind: 'reject', status: internalError(`couldn't decode the patched object: expected a JSON object, got ${JSON.stringify(patched)}`) };
  }
  return { kind: 'patched', ops, object: { ...patched } };
}
