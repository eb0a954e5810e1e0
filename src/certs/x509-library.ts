/**
 * The one door to @peculiar/x509 (X.509 certificate creation on WebCrypto;
 * Node has no API that creates a certificate). Version 2 of the library
 * resolves its ASN.1 helpers through tsyringe, which needs the Reflect
 * metadata API that Node does not have, so the polyfill is loaded first: ES
 * module imports are evaluated in order. Import the library only from here.
 *
 * The WebCrypto implementation is passed to every call (never set
 * globally with `cryptoProvider.set`), so callers choose it.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

export * as x509 from '@peculiar/x509';

/** The WebCrypto API (Node's `webcrypto` unless a test passes another). */
export type WebCrypto = webcrypto.Crypto;

export const NODE_WEBCRYPTO: WebCrypto = webcrypto;

/** EC P-256 with ECDSA-SHA256: what every TLS client, the API server's included, supports. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
