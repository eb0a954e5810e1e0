/**
 * What the user reads about a decision: admission warnings (kubectl prints
 * them as `Warning: ...`) and the strict-mode denial message.
 */
import { describeSlot, formatWarning, quoteShort, shortenMiddle } from './admission-warnings.js';
import { assertNever } from './errors.js';
import type { Denial, ImageDecision } from './image-decision.js';
import { familiarImageRef } from './reference.js';
import type { ImageRef } from './reference.js';

const MAX_DENIED_LISTED = 5;

export function warnAbout(decision: ImageDecision): string[] {
  const who = describeSlot(decision.slot);
  switch (decision.status) {
    case 'invalid':
      return [formatWarning(`${who}: image ${quoteShort(decision.slot.image, 40)} left unchanged: ${decision.reason}`)];
    case 'pending':
      return [formatWarning(`${who}: ${showRef(decision.source)} not in the backup registry yet; original kept`)];
    case 'failed':
      return [formatWarning(`${who}: copy of ${showRef(decision.source)} failed, original kept: ${decision.reason}`)];
    case 'rewritten':
    case 'reused':
    case 'excluded':
    case 'in-backup':
    case 'unchanged-on-update':
      return [];
    default:
      return assertNever(decision);
  }
}

/**
 * Strict mode. 503 when every copy is only late (the copy goes on, so a
 * retry soon succeeds: the ReplicaSet controller retries by itself), 403
 * when one failed.
 */
export function denyBlocked(blocked: readonly ImageDecision[]): Denial {
  const listed = blocked.slice(0, MAX_DENIED_LISTED).map((decision) => {
    const what = decision.status === 'pending' ? 'copy in progress' : 'copy failed';
    const source = decision.status === 'pending' || decision.status === 'failed' ? ` ${showRef(decision.source)}` : '';
    return `${describeSlot(decision.slot)}${source} (${what})`;
  });
  const more = blocked.length > listed.length ? `, and ${blocked.length - listed.length} more` : '';
  return {
    message: `image-cloner strict mode: images not in the backup registry: ${listed.join(', ')}${more}`,
    code: blocked.every((decision) => decision.status === 'pending') ? 503 : 403,
  };
}

function showRef(ref: ImageRef): string {
  return shortenMiddle(familiarImageRef(ref), 60);
}
