/**
 * The short reason a failed copy reports. It reaches admission warnings
 * (cut to 120 characters there), logs and metrics labels, so it is one
 * line, bounded, and never carries credentials.
 */
import { isClonerError } from '../core/errors.js';

const MAX_REASON_LENGTH = 300;

export function describeFailure(error: unknown): string {
  const message = isClonerError(error)
    ? error.message
    : error instanceof Error
      ? `unexpected error: ${error.message}`
      : `unexpected error: ${String(error)}`;
  const line = message
    // Registry errors carry redacted URLs already; this also catches a
    // `user:password@` that slipped into any other message.
    .replace(/\/\/[^/\s@]*@/g, '//')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length <= MAX_REASON_LENGTH ? line : `${line.slice(0, MAX_REASON_LENGTH - 3)}...`;
}
