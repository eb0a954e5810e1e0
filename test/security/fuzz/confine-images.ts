/**
 * Keeps the copies a fuzz case would start on loopback: each image slot the
 * webhook would copy (found with the webhook's own slot finder, since what
 * it does not find it does not copy) that names another registry is
 * replaced. Invalid references stay: they cost no registry call.
 */
import { findImageSlots, toWorkloadKind } from '../../../src/core/pod-specs.js';
import { parseImageRef } from '../../../src/core/reference.js';
import type { ImageRef } from '../../../src/core/reference.js';
import { isRecord } from './pod-spec-paths.js';
import { setPointer } from './pointer.js';

/** `replace` returns the new image, or undefined to keep this one. */
export function confineImages(review: unknown, replace: (image: ImageRef) => string | undefined): void {
  const request = isRecord(review) ? review['request'] : undefined;
  if (!isRecord(request)) return;
  const gvk = request['kind'];
  if (!isRecord(gvk) || typeof gvk['group'] !== 'string' || typeof gvk['kind'] !== 'string') return;
  const kind = toWorkloadKind({ group: gvk['group'], kind: gvk['kind'] });
  if (kind === undefined) return;
  for (const slot of findImageSlots(kind, request['object']).slots) {
    let ref: ImageRef;
    try {
      ref = parseImageRef(slot.image);
    } catch {
      continue;
    }
    const next = replace(ref);
    if (next !== undefined) setPointer(request['object'], slot.path, next);
  }
}
