/**
 * Step one of the admission decision: which objects are examined at all and
 * what each image slot needs, before any registry is asked. Shared by
 * collectImages (what to copy) and planMutation (what to write).
 */
import { z } from 'zod';
import type { AdmissionRequest } from './admission-review.js';
import { isInBackup, toBackupRef } from './backup-naming.js';
import { isExcluded } from './exclude-patterns.js';
import type { AnnotationsState } from './json-patch.js';
import type { MutationPolicy } from './mutation-policy.js';
import { slotKey } from './original-images.js';
import { findImageSlots, toWorkloadKind } from './pod-specs.js';
import type { ImageSlot, WorkloadKind } from './pod-specs.js';
import { formatImageRef, parseImageRef, withDefaultTag } from './reference.js';
import type { ImageRef } from './reference.js';

/** Why a whole object was not examined. */
export type SkipReason =
  | 'operation'
  | 'no-object'
  | 'not-a-workload'
  | 'subresource'
  | 'controller-owned'
  | 'bad-shape';

export type SlotClass =
  | {
      readonly status: 'needs-copy';
      readonly slot: ImageSlot;
      /** Tag defaulted to "latest" (TagNameOnly), so the copy and the rewrite name one tag. */
      readonly source: ImageRef;
      /** The backup name: same tag, same digest, no pinned digest yet. */
      readonly target: ImageRef;
      /** formatImageRef(source): the key of the copy outcome. */
      readonly key: string;
    }
  /** UPDATE putting back the source of the backup copy the stored object already runs: keep that copy. */
  | { readonly status: 'reused'; readonly slot: ImageSlot; readonly image: string }
  | { readonly status: 'excluded' | 'in-backup'; readonly slot: ImageSlot; readonly source: ImageRef }
  | { readonly status: 'invalid'; readonly slot: ImageSlot; readonly reason: string }
  | { readonly status: 'unchanged-on-update'; readonly slot: ImageSlot };

export interface SkippedObject {
  readonly skipped: SkipReason;
  /** Why the object's shape could not be read (with 'bad-shape'). */
  readonly problems: readonly string[];
}

export interface ClassifiedObject {
  readonly skipped?: undefined;
  readonly kind: WorkloadKind;
  readonly slots: readonly SlotClass[];
  readonly annotationsState: AnnotationsState;
  readonly annotations: Readonly<Record<string, string>>;
}

export type Classification = SkippedObject | ClassifiedObject;

const ownerReferenceSchema = z.looseObject({ controller: z.boolean().nullish() });
const metadataSchema = z.looseObject({
  metadata: z
    .looseObject({
      annotations: z.record(z.string(), z.string()).nullish(),
      ownerReferences: z.array(ownerReferenceSchema).nullish(),
    })
    .nullish(),
});

export function classifyImages(request: AdmissionRequest, policy: MutationPolicy): Classification {
  const skip = (skipped: SkipReason, problems: readonly string[] = []): Classification => ({ skipped, problems });
  // DELETE has no object and CONNECT no pod spec (CLUSTER-NOTES 1.7).
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return skip('operation');
  const kind = toWorkloadKind(request.kind);
  if (kind === undefined) return skip('not-a-workload');
  // `kubectl debug` adds ephemeral containers through pods/ephemeralcontainers
  // (whole Pod as object, CLUSTER-NOTES 1.2); other subresources (status,
  // scale) change no image.
  const subResource = request.subResource ?? '';
  if (subResource !== '' && !(kind === 'Pod' && subResource === 'ephemeralcontainers')) return skip('subresource');
  if (request.object === undefined || request.object === null) return skip('no-object');

  const meta = metadataSchema.safeParse(request.object);
  if (!meta.success) {
    const issue = meta.error.issues[0];
    return skip('bad-shape', [`${issue?.path.map(String).join('.') ?? 'metadata'}: ${issue?.message ?? 'unreadable'}`]);
  }
  const metadata = meta.data.metadata;
  // The Deployment controller finds its ReplicaSet by comparing pod
  // templates: rewriting a ReplicaSet it controls makes it create new ones
  // without end (kubernetes#57167, CLUSTER-NOTES 1.13). Any controller is
  // skipped, not only Deployment: Argo Rollouts hashes templates the same
  // way. Their Pods are rewritten instead. No other kind has this trap:
  // the CronJob controller never compares a Job with its jobTemplate, and
  // StatefulSet/DaemonSet Pods are matched by a controller-revision-hash
  // label, not by template contents.
  if (kind === 'ReplicaSet' && (metadata?.ownerReferences ?? []).some((owner) => owner.controller === true)) {
    return skip('controller-owned');
  }
  const scan = findImageSlots(kind, request.object);
  if (scan.problems.length > 0) return skip('bad-shape', scan.problems);

  const oldImages = request.operation === 'UPDATE' ? readOldImages(kind, request.oldObject) : undefined;
  return {
    kind,
    slots: scan.slots.map((slot) => classifySlot(slot, policy, oldImages)),
    annotationsState:
      metadata === undefined || metadata === null
        ? 'no-metadata'
        : metadata.annotations === undefined || metadata.annotations === null
          ? 'no-annotations'
          : 'present',
    annotations: metadata?.annotations ?? {},
  };
}

function classifySlot(slot: ImageSlot, policy: MutationPolicy, oldImages: Map<string, string> | undefined): SlotClass {
  const oldImage = oldImages?.get(slotKey(slot));
  // UPDATE rewrites only what the update introduced, so a scale or a label
  // change never rolls out or restarts anything (DESIGN, webhook contract).
  if (oldImages !== undefined && oldImage === slot.image) return { status: 'unchanged-on-update', slot };
  let ref: ImageRef;
  try {
    ref = parseImageRef(slot.image);
  } catch (error) {
    return { status: 'invalid', slot, reason: describeInvalid(slot.image, error) };
  }
  if (isInBackup(ref, policy.naming, policy.alsoKnownAs)) return { status: 'in-backup', slot, source: ref };
  if (isExcluded(ref, policy.exclude)) return { status: 'excluded', slot, source: ref };
  const source = withDefaultTag(ref);
  let target: ImageRef;
  try {
    target = toBackupRef(source, policy.naming);
  } catch (error) {
    return { status: 'invalid', slot, reason: error instanceof Error ? error.message : String(error) };
  }
  // A re-apply of the source manifest (GitOps sync, server-side apply) sends
  // the original reference back: keep the copy already running rather than
  // re-resolving it, which could roll out a moved tag or, with a copy
  // pending, roll back to the source.
  if (oldImage !== undefined && isCopyOf(oldImage, target)) return { status: 'reused', slot, image: oldImage };
  return { status: 'needs-copy', slot, source, target, key: formatImageRef(source) };
}

function readOldImages(kind: WorkloadKind, oldObject: unknown): Map<string, string> {
  // A stored object of the wrong shape still yields the slots it has; a
  // missing one yields none, and every image then counts as introduced.
  return new Map(findImageSlots(kind, oldObject).slots.map((slot) => [slotKey(slot), slot.image]));
}

/** The stored image is `target`, possibly pinned to a digest by an earlier admission. */
function isCopyOf(image: string, target: ImageRef): boolean {
  let ref: ImageRef;
  try {
    ref = parseImageRef(image);
  } catch {
    return false;
  }
  return (
    ref.domain.toLowerCase() === target.domain &&
    ref.path === target.path &&
    ref.tag === target.tag &&
    (target.digest === undefined || ref.digest === target.digest)
  );
}

/** parseImageRef's reason without its `invalid image reference "<input>": ` lead, which the warning says already. */
function describeInvalid(image: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lead = `invalid image reference ${JSON.stringify(image)}: `;
  return message.startsWith(lead) ? message.slice(lead.length) : message;
}
