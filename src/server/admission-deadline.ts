/**
 * How long one admission may wait for copies.
 *
 * The API server appends `?timeout=<N>s` to the webhook URL with the time it
 * has left for this call, rounded up to whole seconds (CLUSTER-NOTES 1.6;
 * 10 s unless the configuration's `timeoutSeconds` says otherwise). An
 * answer that arrives later is a call error, and with failurePolicy Ignore
 * the object passes unchanged: worse than answering in time with the
 * original image and a warning. So the wait is the configured budget,
 * shortened to what the API server allows minus a margin for the rounding,
 * the planning, the answer's trip back and a busy event loop.
 */
export const TIMEOUT_MARGIN_MS = 1_500;

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const COMPONENT = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
/** Longer values are not what the API server sends; do not spend effort on them. */
const MAX_TIMEOUT_CHARS = 32;

/** A Go duration (`10s`, `9.5s`, `1m30s`, `500ms`) in milliseconds; undefined when it is not one. */
export function parseGoDuration(value: string): number | undefined {
  if (value === '' || value.length > MAX_TIMEOUT_CHARS) return undefined;
  if (value === '0') return 0;
  COMPONENT.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let match = COMPONENT.exec(value); match !== null; match = COMPONENT.exec(value)) {
    const [, amount = '', unit = ''] = match;
    const factor = UNIT_MS[unit];
    if (factor === undefined) return undefined;
    total += Number(amount) * factor;
    end = COMPONENT.lastIndex;
  }
  return end === value.length && Number.isFinite(total) ? total : undefined;
}

/**
 * Epoch milliseconds after which unfinished copies are answered `pending`:
 * now + min(budget, timeout - margin), never before now.
 */
export function computeDeadline(now: number, budgetMs: number, timeoutParam: string | null | undefined): number {
  const timeoutMs = timeoutParam === null || timeoutParam === undefined ? undefined : parseGoDuration(timeoutParam);
  const allowed = timeoutMs === undefined ? budgetMs : Math.min(budgetMs, timeoutMs - TIMEOUT_MARGIN_MS);
  return now + Math.max(0, allowed);
}
