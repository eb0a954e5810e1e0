/**
 * mirror.ensure(), but the admission stops waiting shortly after its own
 * deadline even if the mirror does not. The port promises to answer by the
 * deadline; this guard keeps that promise for the webhook when a bug or a
 * stuck event breaks it, because an answer after the API server's timeout is
 * a call error (CLUSTER-NOTES 1.10). Unanswered copies count as pending.
 */
import type { CopyOutcome, CopyRequest } from '../core/image-decision.js';
import type { EnsureOptions, ImageMirror } from '../mirror/image-mirror.js';
import { errorFields } from './logger.js';
import type { Logger } from './logger.js';

/** How long past the deadline the mirror may still answer before its copies count as pending. */
export const ENSURE_GRACE_MS = 500;

export async function ensureWithin(
  mirror: ImageMirror,
  requests: readonly CopyRequest[],
  options: EnsureOptions,
  logger: Logger,
  now: () => number = Date.now,
): Promise<ReadonlyMap<string, CopyOutcome>> {
  const ensured = mirror.ensure(requests, options);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, options.deadline - now()) + ENSURE_GRACE_MS);
  });
  try {
    const outcomes = await Promise.race([ensured, late]);
    if (outcomes !== undefined) return outcomes;
    logger.warn('mirror missed its deadline', { copies: requests.length });
    // Its answer, when it comes, is of no use to this admission; a rejection must not go unhandled.
    ensured.catch((error: unknown) => logger.warn('mirror failed after its deadline', errorFields(error)));
    return new Map(requests.map((request) => [request.key, { status: 'pending' } as const]));
  } finally {
    clearTimeout(timer);
  }
}
