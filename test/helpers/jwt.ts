/**
 * JWTs the way distribution's token auth (docs/spec/auth/jwt.md) checks them.
 * ES256 with an `x5c` header holding the signing certificate: registry 2.8
 * verifies that chain against `auth.token.rootcertbundle`, then the
 * signature (raw r||s, as JWS requires) with the leaf's key.
 */
import { randomUUID, sign, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { ResourceActions } from './token-scope.js';
import type { KeyPair } from './tls.js';

export interface TokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly access: readonly ResourceActions[];
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export function makeClaims(input: {
  issuer: string;
  subject: string;
  audience: string;
  lifetimeSeconds: number;
  access: readonly ResourceActions[];
  now?: number;
}): TokenClaims {
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  return {
    iss: input.issuer,
    sub: input.subject,
    // 2.8 decodes `aud` as one string; newer versions accept a string too.
    aud: input.audience,
    exp: now + input.lifetimeSeconds,
    nbf: now,
    iat: now,
    jti: randomUUID(),
    access: input.access,
  };
}

export function signJwt(claims: TokenClaims, signer: KeyPair): string {
  const der = new X509Certificate(signer.certPem).raw;
  const header = { typ: 'JWT', alg: 'ES256', x5c: [der.toString('base64')] };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key: signer.keyPem, dsaEncoding: 'ieee-p1363' });
  return `${input}.${base64url(signature)}`;
}

const ClaimsSchema = z.object({
  iss: z.string(),
  sub: z.string(),
  aud: z.string(),
  exp: z.number(),
  nbf: z.number(),
  iat: z.number(),
  jti: z.string(),
  access: z.array(z.object({ type: z.string(), name: z.string(), actions: z.array(z.string()) })),
});

/** Decodes (does not verify) a token's claims, for test assertions. */
export function decodeJwtClaims(token: string): TokenClaims {
  const part = token.split('.')[1];
  if (part === undefined) throw new Error('decodeJwtClaims: not a JWT');
  return ClaimsSchema.parse(JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
}
