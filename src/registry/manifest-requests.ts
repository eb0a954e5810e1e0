/**
 * Manifest requests (distribution spec "Pulling manifests", "Pushing
 * manifests"). Bytes are kept exactly as served and their digest is
 * computed here, never taken on trust.
 */
import { createHash } from 'node:crypto';
import type { RawManifest } from '../core/descriptor.js';
import { ClonerError } from '../core/errors.js';
import { MANIFEST_ACCEPT } from '../core/media-types.js';
import { MAX_MANIFEST_BYTES, resolveManifestMediaType } from '../core/manifest.js';
import { discard, headerValue, readBounded } from './http-transport.js';
import { pullScope, pushScope } from './registry-auth.js';
import { parseRegistryErrorBody } from './registry-error.js';
import { formatTarget, scopeFor, type Access, type RegistryExchange } from './registry-exchange.js';

export interface ManifestHead {
  readonly digest: string | undefined;
  readonly mediaType: string | undefined;
  readonly size: number | undefined;
}

/** GET a manifest's exact bytes; the digest is computed and checked, never trusted. */
export async function getManifest(
  ex: RegistryExchange,
  repository: string,
  reference: string,
  signal?: AbortSignal,
): Promise<RawManifest> {
  const what = `fetching manifest ${formatTarget(ex.domain, repository, reference)}`;
  const res = await ex.send({
    method: 'GET',
    url: ex.url(`${repository}/manifests/${encodeURIComponent(reference)}`),
    scopes: [pullScope(repository)],
    headers: { accept: MANIFEST_ACCEPT.join(', ') },
    signal,
    what,
  });
  await ex.expect(res, [200], what);
  const bytes = await readBounded(res, MAX_MANIFEST_BYTES, what);
  if (reference.includes(':')) {
    if (verifyDigest(bytes, reference) === false) {
      throw new ClonerError('IC_ERR_DIGEST_MISMATCH', `${what}: the registry served content that does not match the digest`, {
        temporary: true,
      });
    }
    const mediaType = resolveManifestMediaType(bytes, headerValue(res.headers, 'content-type'));
    return { bytes, mediaType, digest: reference };
  }
  // By tag: the digest is computed here, never taken from the registry's header.
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const served = headerValue(res.headers, 'docker-content-digest');
  if (served !== undefined && served.startsWith('sha256:') && served !== digest) {
    throw new ClonerError(
      'IC_ERR_DIGEST_MISMATCH',
      `${what}: Docker-Content-Digest ${served} does not match the content (${digest})`,
      { temporary: true },
    );
  }
  const mediaType = resolveManifestMediaType(bytes, headerValue(res.headers, 'content-type'));
  return { bytes, mediaType, digest };
}

/** HEAD a manifest: undefined when it does not exist. */
export async function headManifest(
  ex: RegistryExchange,
  repository: string,
  reference: string,
  signal?: AbortSignal,
  access: Access = 'pull',
): Promise<ManifestHead | undefined> {
  const what = `checking manifest ${formatTarget(ex.domain, repository, reference)}`;
  const res = await ex.send({
    method: 'HEAD',
    url: ex.url(`${repository}/manifests/${encodeURIComponent(reference)}`),
    scopes: [scopeFor(repository, access)],
    headers: { accept: MANIFEST_ACCEPT.join(', ') },
    signal,
    what,
  });
  await discard(res);
  if (res.status === 404) return undefined;
  await ex.expect(res, [200], what);
  const size = Number(headerValue(res.headers, 'content-length'));
  return {
    digest: headerValue(res.headers, 'docker-content-digest'),
    mediaType: headerValue(res.headers, 'content-type'),
    size: Number.isSafeInteger(size) ? size : undefined,
  };
}

export async function putManifest(
  ex: RegistryExchange,
  repository: string,
  reference: string,
  manifest: RawManifest,
  signal?: AbortSignal,
): Promise<void> {
  const what = `pushing manifest ${formatTarget(ex.domain, repository, reference)}`;
  const res = await ex.send({
    method: 'PUT',
    url: ex.url(`${repository}/manifests/${encodeURIComponent(reference)}`),
    scopes: [pushScope(repository)],
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
    signal,
    what,
  });
  await ex.expect(res, [200, 201, 202], what);
  const stored = headerValue(res.headers, 'docker-content-digest');
  await discard(res);
  if (stored !== undefined && stored !== manifest.digest && stored.startsWith('sha256:') && manifest.digest.startsWith('sha256:')) {
    throw new ClonerError(
      'IC_ERR_DIGEST_MISMATCH',
      `${what}: the registry stored digest ${stored}, expected ${manifest.digest} (it rewrote the manifest)`,
    );
  }
}

/** undefined for an algorithm we cannot compute here. */
function verifyDigest(bytes: Uint8Array, digest: string): boolean | undefined {
  const [algorithm, hex] = digest.split(':');
  if ((algorithm !== 'sha256' && algorithm !== 'sha512') || hex === undefined) return undefined;
  return createHash(algorithm).update(bytes).digest('hex') === hex;
}

/**
 * True only when the registry says the repository does not exist (spec
 * "Listing Tags": 404 with NAME_UNKNOWN). Anything else, a listing or an
 * error, is "not known to be empty", so callers fall back to their checks.
 * Asked with push access: it runs on behalf of a push.
 */
export async function isUnknownRepository(ex: RegistryExchange, repository: string, signal?: AbortSignal): Promise<boolean> {
  const what = `listing tags of ${ex.domain}/${repository}`;
  const url = ex.url(`${repository}/tags/list`);
  url.searchParams.set('n', '1');
  let res;
  try {
    res = await ex.send({ method: 'GET', url, scopes: [pushScope(repository)], signal, what });
  } catch {
    return false;
  }
  if (res.status !== 404) {
    await discard(res);
    return false;
  }
  const text = (await readBounded(res, 64 * 1024, what).catch(() => Buffer.alloc(0))).toString('utf8');
  return parseRegistryErrorBody(text).codes.includes('NAME_UNKNOWN');
}
