/**
 * Retry timing: capped exponential backoff with full jitter, and the
 * Retry-After header (RFC 9110 section 10.2.3: delay-seconds or an HTTP-date).
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 10_000, maxAttempts: 5 };

/** Delay before retry number `attempt` (1-based); `random` in [0, 1). */
export function computeBackoffMs(attempt: number, policy: BackoffPolicy, random: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(ceiling / 2 + (ceiling / 2) * random);
}

/** Milliseconds to wait from a Retry-After value, capped; undefined when absent or unparsable. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number, capMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Math.min(capMs, Number(trimmed) * 1000);
  // An HTTP-date always ends in GMT (RFC 9110 section 5.6.7); Date.parse alone would take "1.5" as a date.
  if (!/^[A-Za-z]{3},? .*GMT$/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(capMs, Math.max(0, at - nowMs));
}
