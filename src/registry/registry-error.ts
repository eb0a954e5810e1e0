/**
 * Errors from registry HTTP exchanges. They carry the HTTP status, the
 * distribution spec's error codes (spec "Error Codes": MANIFEST_UNKNOWN,
 * BLOB_UNKNOWN, DENIED, TOOMANYREQUESTS...) and a redacted URL, and say
 * whether a retry may help.
 */
import { z } from 'zod';
import { ClonerError, type ErrorCode } from '../core/errors.js';

const errorBodySchema = z.object({
  errors: z
    .array(z.looseObject({ code: z.string().max(128), message: z.string().max(1024).optional() }))
    .max(32),
});

export class RegistryError extends ClonerError {
  readonly status: number | undefined;
  readonly registryCodes: readonly string[];
  readonly url: string;

  constructor(
    code: ErrorCode,
    message: string,
    details: {
      status?: number;
      registryCodes?: readonly string[];
      url: string;
      temporary?: boolean;
      retriesSpent?: boolean;
      cause?: unknown;
    },
  ) {
    super(code, message, { cause: details.cause, temporary: details.temporary ?? false, retriesSpent: details.retriesSpent ?? false });
    this.name = 'RegistryError';
    this.status = details.status;
    this.registryCodes = details.registryCodes ?? [];
    this.url = details.url;
  }
}

/** Origin and path only: upload locations carry opaque state in their query, and userinfo never belongs in a log. */
export function redactUrl(url: URL | string): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/** Parses the spec's `{"errors":[{"code":...}]}` body; never throws. */
export function parseRegistryErrorBody(text: string): { codes: string[]; message: string | undefined } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { codes: [], message: undefined };
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return { codes: [], message: undefined };
  const codes = parsed.data.errors.map((e) => e.code);
  const first = parsed.data.errors[0];
  const message = first === undefined ? undefined : [first.code, first.message].filter(Boolean).join(': ');
  return { codes, message };
}

/** Maps an HTTP status (and spec codes) to our error code and temporariness. */
export function classifyStatus(status: number, codes: readonly string[]): { code: ErrorCode; temporary: boolean } {
  if (status === 401) return { code: 'IC_ERR_UNAUTHORIZED', temporary: false };
  if (status === 403) return { code: 'IC_ERR_DENIED', temporary: false };
  if (status === 404) return { code: 'IC_ERR_NOT_FOUND', temporary: false };
  if (status === 408 || status === 429 || codes.includes('TOOMANYREQUESTS')) {
    return { code: 'IC_ERR_REGISTRY', temporary: true };
  }
  // 501 Not Implemented and 505 HTTP Version Not Supported will not change on a retry
  // (the transport does not retry them either).
  if (status >= 500) return { code: 'IC_ERR_REGISTRY', temporary: status !== 501 && status !== 505 };
  return { code: 'IC_ERR_REGISTRY', temporary: false };
}

/** Node/undici network and TLS failures, mapped to stable codes. */
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'EPROTO',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Every `code` along the cause chain (undici wraps socket and TLS errors). */
function collectCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ('code' in e && typeof e.code === 'string') codes.push(e.code);
  }
  return codes;
}

function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_');
}

export function classifyNetworkError(error: unknown, url: string, what: string): ClonerError {
  if (error instanceof ClonerError) return error;
  const codes = collectCodes(error);
  const detail = error instanceof Error ? error.message : String(error);
  const tlsCode = codes.find(isTlsCode);
  if (tlsCode !== undefined) {
    return new RegistryError('IC_ERR_TLS', `${what}: TLS failure talking to ${url}: ${detail} (${tlsCode})`, {
      url,
      cause: error,
    });
  }
  const timeoutCode = codes.find((c) => TIMEOUT_CODES.has(c));
  if (timeoutCode !== undefined) {
    const sysCode = timeoutCode;
    return new RegistryError('IC_ERR_TIMEOUT', `${what}: timed out talking to ${url} (${sysCode})`, {
      url,
      temporary: true,
      cause: error,
    });
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new RegistryError('IC_ERR_TIMEOUT', `${what}: deadline exceeded talking to ${url}`, {
      url,
      temporary: true,
      cause: error,
    });
  }
  return new RegistryError(
    'IC_ERR_UNREACHABLE',
    `${what}: cannot reach ${url}: ${detail}${codes[0] === undefined ? '' : ` (${codes[0]})`}`,
    { url, temporary: true, cause: error },
  );
}
