/**
 * Where a registry may send us: a blob redirect's Location (spec "Pulling
 * blobs": 307 to a CDN or object store) or an upload session's Location
 * (spec "Pushing blobs": "MAY be relative or absolute"). Both are followed
 * only when they are http(s) without user info, never downgrade https to
 * http (unless that host is configured insecure), and never lead off the
 * registry's origin to a link-local (cloud metadata) address. Credentials
 * are a separate rule, kept by the callers: they go to the registry's own
 * origin only.
 */
import { ClonerError } from '../core/errors.js';
import { isMetadataAddress } from '../core/metadata-address.js';
import type { HttpTransport } from './http-transport.js';
import { redactUrl } from './registry-error.js';

export function resolveLocation(
  registry: { readonly origin: string; readonly transport: HttpTransport },
  from: URL,
  location: string,
  what: string,
): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw refuse(`${what}: invalid Location`);
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw refuse(`${what}: Location with unsupported scheme ${next.protocol}`);
  }
  if (next.username !== '' || next.password !== '') throw refuse(`${what}: Location carries credentials`);
  if (next.protocol === 'http:' && from.protocol === 'https:' && !registry.transport.isInsecure(next.host)) {
    throw refuse(`${what}: refusing a Location from https to http (${redactUrl(next)})`);
  }
  if (next.origin !== registry.origin && isMetadataAddress(next.hostname)) {
    throw refuse(`${what}: refusing a Location on a link-local address (${redactUrl(next)})`);
  }
  return next;
}

function refuse(message: string): ClonerError {
  return new ClonerError('IC_ERR_REDIRECT', message);
}
