/**
 * Content digests: OCI image-spec `descriptor.md`, section "Digests".
 *
 *   digest              ::= algorithm ":" encoded
 *   algorithm           ::= algorithm-component (algorithm-separator algorithm-component)*
 *   algorithm-component ::= [a-z0-9]+
 *   algorithm-separator ::= [+._-]
 *   encoded             ::= [a-zA-Z0-9=_-]+
 *
 * The grammar admits algorithms nobody can verify, so a digest is accepted
 * only for the registered algorithms ("Registered algorithms": sha256,
 * sha512), whose encoded part MUST be lowercase hex of the hash's length.
 * Anything else cannot be checked on copy, and a copy we cannot verify is
 * refused rather than trusted.
 */
import { ClonerError } from './errors.js';

export interface ParsedDigest {
  readonly algorithm: string;
  readonly encoded: string;
}

const DIGEST_GRAMMAR = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** descriptor.md "SHA-256" and "SHA-512": the encoded part is the hash in lowercase hex. */
const REGISTERED_HEX_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha512', 128],
]);

const LOWERCASE_HEX = /^[a-f0-9]+$/;

/** Bounds the work and the message size on hostile input; sha512 is 135 characters. */
const MAX_DIGEST_LENGTH = 1024;

export function parseDigest(value: string): ParsedDigest {
  if (value.length > MAX_DIGEST_LENGTH) {
    throw badDigest(`${value.slice(0, 80)}...`, `longer than ${MAX_DIGEST_LENGTH} characters`);
  }
  const match = DIGEST_GRAMMAR.exec(value);
  const algorithm = match?.[1];
  const encoded = match?.[2];
  if (algorithm === undefined || encoded === undefined) {
    throw badDigest(value, 'expected <algorithm>:<encoded>, for example sha256:<64 lowercase hex>');
  }
  const hexLength = REGISTERED_HEX_LENGTHS.get(algorithm);
  if (hexLength === undefined) {
    throw badDigest(value, `unsupported algorithm ${JSON.stringify(algorithm)} (supported: sha256, sha512)`);
  }
  if (encoded.length !== hexLength || !LOWERCASE_HEX.test(encoded)) {
    throw badDigest(value, `${algorithm} needs exactly ${hexLength} lowercase hex characters`);
  }
  return { algorithm, encoded };
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** The encoded part (the hex) of a valid digest; throws IC_ERR_BAD_DIGEST otherwise. */
export function digestHex(value: string): string {
  return parseDigest(value).encoded;
}

function badDigest(value: string, reason: string): ClonerError {
  // JSON quoting keeps control characters in outside data out of log lines.
  return new ClonerError('IC_ERR_BAD_DIGEST', `invalid digest ${JSON.stringify(value)}: ${reason}`);
}
