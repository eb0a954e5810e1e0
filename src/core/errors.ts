/**
 * Typed errors with stable codes (in the manner of undici's UND_ERR_* codes):
 * callers and tests branch on `code`, never on message text.
 */
export const ERROR_CODES = [
  'IC_ERR_BAD_REFERENCE',
  'IC_ERR_BAD_DIGEST',
  'IC_ERR_BAD_PLATFORM',
  'IC_ERR_BAD_LOCATION',
  'IC_ERR_BAD_MANIFEST',
  'IC_ERR_SCHEMA1',
  'IC_ERR_BAD_AUTH_CONFIG',
  'IC_ERR_BAD_CHALLENGE',
  'IC_ERR_NOT_FOUND',
  'IC_ERR_UNAUTHORIZED',
  'IC_ERR_DENIED',
  'IC_ERR_TLS',
  'IC_ERR_UNREACHABLE',
  'IC_ERR_TIMEOUT',
  'IC_ERR_REGISTRY',
  'IC_ERR_DIGEST_MISMATCH',
  'IC_ERR_SIZE_MISMATCH',
  'IC_ERR_TOO_LARGE',
  'IC_ERR_REDIRECT',
  'IC_ERR_ARCHIVE',
  'IC_ERR_USAGE',
  'IC_ERR_ABORTED',
  'IC_ERR_BAD_CONFIG',
  'IC_ERR_BACKUP_NAME',
  'IC_ERR_CONFLICT',
  'IC_ERR_ALREADY_EXISTS',
  'IC_ERR_KUBE',
  'IC_ERR_CERTIFICATE',
  /** A manifest file that is not YAML or JSON (`rewrite`, `sync`). */
  'IC_ERR_BAD_INPUT',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ClonerErrorOptions {
  readonly cause?: unknown;
  /** True when trying again later may succeed (network faults, 5xx, 429): only these are retried. */
  readonly temporary?: boolean;
  /** Temporary, but already retried as often as is worth it right now: callers should not retry it again. */
  readonly retriesSpent?: boolean;
}

export class ClonerError extends Error {
  readonly code: ErrorCode;
  readonly temporary: boolean;
  readonly retriesSpent: boolean;

  constructor(code: ErrorCode, message: string, options: ClonerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.temporary = options.temporary ?? false;
    this.retriesSpent = options.retriesSpent ?? false;
    this.name = 'ClonerError';
  }
}

/** Wraps an error with what we were doing ("fetching %q: %w"), keeping its code, temporariness and retry state. */
export function wrapError(context: string, error: unknown): ClonerError {
  if (error instanceof ClonerError) {
    const { temporary, retriesSpent } = error;
    return new ClonerError(error.code, `${context}: ${error.message}`, { cause: error, temporary, retriesSpent });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ClonerError('IC_ERR_REGISTRY', `${context}: ${message}`, { cause: error });
}

export function isClonerError(value: unknown): value is ClonerError {
  return value instanceof ClonerError;
}

/** For exhaustive switches over closed unions (STYLE rule 9). */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
