/**
 * Step two of `rewrite`: the webhook's planMutation for each object, its
 * patch carried out on the input's text (text-edits.ts), then checked: the
 * edited text, read again, must hold exactly the patched objects, document
 * by document, or the input is refused rather than silently altered.
 */
import { isDeepStrictEqual } from 'node:util';
import { ClonerError } from '../core/errors.js';
import type { CopyOutcome, ImageDecision } from '../core/image-decision.js';
import { formatPointer } from '../core/json-patch.js';
import type { PatchOp } from '../core/json-patch.js';
import type { MutationPolicy } from '../core/mutation-policy.js';
import { planMutation } from '../core/plan-mutation.js';
import { applyPatch } from './apply-patch.js';
import { parseManifest } from './manifest-documents.js';
import type { ScannedInput, ScannedObject } from './scan-manifests.js';
import { applyTextEdits, planTextEdits, type TextEdit } from './text-edits.js';

export interface ObjectDecisions {
  readonly object: ScannedObject;
  readonly images: readonly ImageDecision[];
}

export interface RewrittenInput {
  readonly text: string;
  readonly decisions: readonly ObjectDecisions[];
}

export function rewriteInput(
  scanned: ScannedInput,
  policy: MutationPolicy,
  outcomes: ReadonlyMap<string, CopyOutcome>,
): RewrittenInput {
  const opsByDocument = new Map<number, PatchOp[]>();
  const decisions: ObjectDecisions[] = [];
  for (const object of scanned.objects) {
    const plan = planMutation(object.request, policy, outcomes, object.classification);
    decisions.push({ object, images: plan.images });
    if (plan.patch.length === 0) continue;
    const prefix = formatPointer(object.tokens);
    const ops = opsByDocument.get(object.document) ?? [];
    for (const op of plan.patch) ops.push({ ...op, path: prefix + op.path });
    opsByDocument.set(object.document, ops);
  }
  const { input, documents } = scanned;
  if (opsByDocument.size === 0) return { text: input.text, decisions };

  const edits: TextEdit[] = [];
  for (const [index, ops] of opsByDocument) {
    const document = documents[index];
    if (document === undefined) continue;
    try {
      edits.push(...planTextEdits(document.document, input.text, ops));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ClonerError('IC_ERR_BAD_INPUT', `${input.name}: document ${index + 1}: ${message}`, { cause: error });
    }
  }
  const text = applyTextEdits(input.text, edits);
  const reread = parseManifest({ name: input.name, text });
  const unchanged =
    reread.length === documents.length &&
    documents.every((document, index) => {
      const ops = opsByDocument.get(index);
      const expected = ops === undefined ? document.value : applyPatch(document.value, ops);
      return isDeepStrictEqual(reread[index]?.value, expected);
    });
  if (!unchanged) {
    throw new ClonerError('IC_ERR_BAD_INPUT', `${input.name}: cannot rewrite its images in place without changing other fields`);
  }
  return { text, decisions };
}
