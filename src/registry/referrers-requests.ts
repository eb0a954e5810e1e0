/**
 * Referrers requests (distribution spec 1.1 "Listing Referrers"):
 * `GET /v2/<name>/referrers/<digest>` answers an OCI image index, possibly
 * over several pages linked by `Link: <...>; rel="next"`.
 *
 * "Unsupported" is a 404: the spec forbids a registry that implements the
 * API to answer 404 for an existing repository ("MUST NOT return a 404"),
 * and registries without it (distribution 2.8, whose router answers
 * `404 page not found` in text/plain) answer exactly that. The caller then
 * falls back to the referrers tag schema.
 */
import type { Descriptor, RawManifest } from '../core/descriptor.js';
import { ClonerError, isClonerError } from '../core/errors.js';
import { MAX_MANIFEST_BYTES } from '../core/manifest.js';
import { OCI_INDEX } from '../core/media-types.js';
import { MAX_REFERRER_PAGES, MAX_REFERRERS_PER_SUBJECT, parseNextLink, parseReferrersIndex } from '../core/referrers.js';
import { discard, headerValue, readBounded } from './http-transport.js';
import { getManifest, headManifest } from './manifest-requests.js';
import { formatTarget, scopeFor, type Access, type RegistryExchange } from './registry-exchange.js';

/** The referrers of `digest`, every page; undefined when the registry has no referrers API. */
export async function listReferrers(
  ex: RegistryExchange,
  repository: string,
  digest: string,
  signal?: AbortSignal,
  access: Access = 'pull',
): Promise<readonly Descriptor[] | undefined> {
  const what = `listing referrers of ${formatTarget(ex.domain, repository, digest)}`;
  const found: Descriptor[] = [];
  let url: URL | undefined = ex.url(`${repository}/referrers/${encodeURIComponent(digest)}`);
  for (let page = 1; url !== undefined; page++) {
    if (page > MAX_REFERRER_PAGES) {
      throw new ClonerError('IC_ERR_TOO_LARGE', `${what}: more than ${MAX_REFERRER_PAGES} pages`);
    }
    // Pages stay on the registry's origin: a Link elsewhere would take our token with it.
    if (url.origin !== ex.origin) throw new ClonerError('IC_ERR_REDIRECT', `${what}: next page on another origin`);
    const res = await ex.send({
      method: 'GET',
      url,
      scopes: [scopeFor(repository, access)],
      headers: { accept: OCI_INDEX },
      signal,
      what,
    });
    if (res.status === 404 && page === 1) {
      await discard(res);
      return undefined;
    }
    await ex.expect(res, [200], what);
    const bytes = await readBounded(res, MAX_MANIFEST_BYTES, what);
    try {
      found.push(...parseReferrersIndex(bytes, headerValue(res.headers, 'content-type')));
    } catch (error) {
      throw isClonerError(error) ? new ClonerError(error.code, `${what}: ${error.message}`, { cause: error }) : error;
    }
    if (found.length > MAX_REFERRERS_PER_SUBJECT) {
      throw new ClonerError('IC_ERR_TOO_LARGE', `${what}: more than ${MAX_REFERRERS_PER_SUBJECT} referrers`);
    }
    url = parseNextLink(headerValue(res.headers, 'link'), url.toString());
  }
  return found;
}

/**
 * The manifest a tag names, or undefined when there is no such tag (or
 * repository). A HEAD first: most images have no such tag, and a HEAD does
 * not count against Docker Hub's pull rate limit where a GET does.
 */
export async function findManifest(
  ex: RegistryExchange,
  repository: string,
  tag: string,
  signal?: AbortSignal,
): Promise<RawManifest | undefined> {
  if ((await headManifest(ex, repository, tag, signal)) === undefined) return undefined;
  try {
    return await getManifest(ex, repository, tag, signal);
  } catch (error) {
    // Deleted between the HEAD and the GET.
    if (isClonerError(error) && error.code === 'IC_ERR_NOT_FOUND') return undefined;
    throw error;
  }
}
