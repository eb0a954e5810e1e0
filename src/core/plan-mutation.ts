/**
 * The whole admission decision as a pure function, in two steps so the I/O
 * shell knows what to copy before anything is decided:
 *
 *   1. collectImages(request, policy): the distinct copies needed;
 *   2. the shell ensures each one (cache, HEAD, copy; no writes on dryRun)
 *      within its deadline and reports a CopyOutcome per key;
 *   3. planMutation(request, policy, outcomes): decisions, patch, warnings,
 *      or a denial in strict mode.
 *
 * dryRun changes nothing here: the response shows the would-be patch. The
 * plan is idempotent (reinvocationPolicy IfNeeded, CLUSTER-NOTES 1.9): on its
 * own output every image is in the backup, so the patch is empty.
 */
import type { AdmissionRequest } from './admission-review.js';
import { formatWarning, limitWarnings } from './admission-warnings.js';
import { isInBackup } from './backup-naming.js';
import { classifyImages } from './classify-images.js';
import type { Classification, ClassifiedObject, SlotClass } from './classify-images.js';
export { classifyImages } from './classify-images.js';
export type { Classification } from './classify-images.js';
import { denyBlocked, warnAbout } from './decision-messages.js';
import { isDigest } from './digest.js';
import { assertNever } from './errors.js';
import type { CopyOutcome, CopyRequest, ImageDecision, MutationPlan } from './image-decision.js';
import { replaceOp, setAnnotationOps } from './json-patch.js';
import type { PatchOp } from './json-patch.js';
import type { MutationPolicy } from './mutation-policy.js';
import { formatOriginalImages, readOriginalImages, slotKey } from './original-images.js';
import { planPullSecretOps } from './pull-secret-injection.js';
import { formatImageRef, parseImageRef } from './reference.js';

export type {
  CopyOutcome,
  CopyRequest,
  Denial,
  ImageDecision,
  ImageStatus,
  MutationPlan,
  SkipReason,
} from './image-decision.js';

/**
 * Both steps take the classification the caller already made, if any: the
 * handler classifies once per admission (walking every pod spec twice was
 * measurable on the hot path). Left out, each step classifies on its own.
 */
export function collectImages(
  request: AdmissionRequest,
  policy: MutationPolicy,
  classification: Classification = classifyImages(request, policy),
): CopyRequest[] {
  const copies = new Map<string, CopyRequest>();
  if (classification.skipped !== undefined) return [];
  for (const slot of classification.slots) {
    if (slot.status === 'needs-copy' && !copies.has(slot.key)) {
      copies.set(slot.key, { key: slot.key, source: slot.source, target: slot.target });
    }
  }
  return [...copies.values()];
}

export function planMutation(
  request: AdmissionRequest,
  policy: MutationPolicy,
  outcomes: ReadonlyMap<string, CopyOutcome>,
  classification: Classification = classifyImages(request, policy),
): MutationPlan {
  if (classification.skipped !== undefined) {
    const warnings = classification.problems.map((problem) => formatWarning(`${problem}; images left unchanged`));
    return { images: [], patch: [], warnings: limitWarnings(warnings), skipped: classification.skipped };
  }
  const images = classification.slots.map((slot) => decide(slot, policy, outcomes));
  const blocked = images.filter((image) => image.status === 'pending' || image.status === 'failed');
  if (policy.strict && blocked.length > 0) {
    const warnings = limitWarnings(images.filter((image) => image.status === 'invalid').flatMap(warnAbout));
    return { images, patch: [], warnings, deny: denyBlocked(blocked) };
  }
  const patch = buildPatch(request, classification, images, policy);
  return { images, patch, warnings: limitWarnings(images.flatMap(warnAbout)) };
}

function decide(slot: SlotClass, policy: MutationPolicy, outcomes: ReadonlyMap<string, CopyOutcome>): ImageDecision {
  if (slot.status !== 'needs-copy') return slot;
  const base = { slot: slot.slot, source: slot.source };
  const outcome = outcomes.get(slot.key);
  if (outcome === undefined) return { ...base, status: 'failed', reason: 'no copy result' };
  switch (outcome.status) {
    case 'ready': {
      if (!isDigest(outcome.digest)) return { ...base, status: 'failed', reason: 'the copy reported no valid digest' };
      // The manifest is copied byte for byte, so the digest cannot change;
      // if it did (a platform-filtered copy), the reference would lie.
      if (slot.source.digest !== undefined && slot.source.digest !== outcome.digest) {
        return { ...base, status: 'failed', reason: `copied digest ${outcome.digest} differs` };
      }
      const pinned = policy.pinDigests ? { ...slot.target, digest: outcome.digest } : slot.target;
      return { ...base, status: 'rewritten', image: formatImageRef(pinned) };
    }
    case 'pending':
      return { ...base, status: 'pending' };
    case 'failed':
      return { ...base, status: 'failed', reason: outcome.reason };
    default:
      return assertNever(outcome);
  }
}

function buildPatch(
  request: AdmissionRequest,
  classification: ClassifiedObject,
  images: readonly ImageDecision[],
  policy: MutationPolicy,
): PatchOp[] {
  const ops: PatchOp[] = [];
  const changed = new Map<string, string>();
  const finalImages = new Map<string, string>();
  for (const decision of images) {
    const key = slotKey(decision.slot);
    finalImages.set(key, decision.slot.image);
    if (decision.status !== 'rewritten' && decision.status !== 'reused') continue;
    ops.push(replaceOp(decision.slot.path, decision.image));
    changed.set(key, decision.slot.image);
    finalImages.set(key, decision.image);
  }
  if (ops.length === 0) return ops;
  // Only a pod spec that now names the backup needs its credentials; a
  // reused copy counts, since a re-applied manifest drops the entry too.
  ops.push(...planPullSecretOps(request, classification.kind, policy.imagePullSecret));

  // Entries of earlier admissions stay while their slot still runs a backup
  // copy; stale ones go, so the annotation stays small.
  const current = classification.annotations[policy.annotationKey];
  const originals = new Map<string, string>();
  for (const [key, original] of readOriginalImages(current)) {
    const image = finalImages.get(key);
    if (image !== undefined && runsBackupCopy(image, policy)) originals.set(key, original);
  }
  for (const [key, original] of changed) originals.set(key, original);
  const value = formatOriginalImages(originals);
  if (value !== current) ops.push(...setAnnotationOps(classification.annotationsState, policy.annotationKey, value));
  return ops;
}

function runsBackupCopy(image: string, policy: MutationPolicy): boolean {
  try {
    return isInBackup(parseImageRef(image), policy.naming, policy.alsoKnownAs);
  } catch {
    return false;
  }
}
