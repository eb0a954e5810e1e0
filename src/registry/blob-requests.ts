/**
 * Blob requests (distribution spec "Pulling blobs", "Pushing blobs",
 * "Mounting a blob from another repository", "Canceling an Upload").
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../core/descriptor.js';
import { ClonerError } from '../core/errors.js';
import { resolveLocation } from './follow-location.js';
import { discard, headerValue } from './http-transport.js';
import { pullScope, pushScope } from './registry-auth.js';
import { scopeFor, type Access, type RegistryExchange } from './registry-exchange.js';

/** Blob redirects (to a CDN or object store) are followed by hand, this many times at most. */
const MAX_REDIRECTS = 5;

export async function hasBlob(
  ex: RegistryExchange,
  repository: string,
  digest: string,
  signal?: AbortSignal,
  access: Access = 'pull',
): Promise<boolean> {
  const what = `checking blob ${digest} in ${ex.domain}/${repository}`;
  const res = await ex.send({
    method: 'HEAD',
    url: ex.url(`${repository}/blobs/${digest}`),
    scopes: [scopeFor(repository, access)],
    signal,
    what,
  });
  await discard(res);
  if (res.status === 404) return false;
  await ex.expect(res, [200, 307], what);
  return true;
}

/**
 * GET a blob as a stream. Redirects are followed by hand so that the
 * Authorization header is dropped when the origin changes and https is
 * never downgraded to http.
 */
export async function getBlob(
  ex: RegistryExchange,
  repository: string,
  descriptor: Descriptor,
  signal?: AbortSignal,
): Promise<Readable> {
  const what = `fetching blob ${descriptor.digest} from ${ex.domain}/${repository}`;
  let res = await ex.send({
    method: 'GET',
    url: ex.url(`${repository}/blobs/${descriptor.digest}`),
    scopes: [pullScope(repository)],
    signal,
    streaming: true,
    what,
  });
  let url = ex.url(`${repository}/blobs/${descriptor.digest}`);
  for (let hop = 0; isRedirect(res.status); hop++) {
    const location = headerValue(res.headers, 'location');
    await discard(res);
    if (hop >= MAX_REDIRECTS || location === undefined) {
      throw new ClonerError('IC_ERR_REDIRECT', `${what}: too many redirects, or a redirect without a Location`);
    }
    url = resolveLocation(ex, url, location, `${what}: redirect`);
    // Credentials stay on the registry's own origin; another origin (a CDN) gets none.
    res =
      url.origin === ex.origin
        ? await ex.send({ method: 'GET', url, scopes: [pullScope(repository)], signal, streaming: true, what })
        : await ex.transport.sendWithRetry({ method: 'GET', url, headers: {}, signal, streaming: true }, what);
  }
  await ex.expect(res, [200], what);
  const length = Number(headerValue(res.headers, 'content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length !== descriptor.size) {
    res.body.destroy();
    throw new ClonerError(
      'IC_ERR_SIZE_MISMATCH',
      `${what}: the registry announced ${length} bytes, the descriptor says ${descriptor.size}`,
      { temporary: true },
    );
  }
  return res.body;
}

/**
 * Cross-repository mount: 201 means mounted; 202 means the registry opened
 * an ordinary upload instead, which we cancel (the caller streams).
 */
export async function mountBlob(
  ex: RegistryExchange,
  repository: string,
  digest: string,
  fromRepository: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const what = `mounting blob ${digest} from ${ex.domain}/${fromRepository} into ${repository}`;
  const url = ex.url(`${repository}/blobs/uploads/`);
  url.searchParams.set('mount', digest);
  url.searchParams.set('from', fromRepository);
  const res = await sendOpeningSession(ex, {
    method: 'POST',
    url,
    scopes: [pushScope(repository), pullScope(fromRepository)],
    headers: { 'content-length': '0' },
    body: new Uint8Array(0),
    what,
  }, signal);
  await ex.expect(res, [201, 202], what);
  await discard(res);
  if (res.status === 201) return true;
  const location = headerValue(res.headers, 'location');
  // A session we would not send a request to (resolveLocation refuses it) is left to expire.
  const session = location === undefined ? undefined : tryResolveLocation(ex, url, location, what);
  if (session !== undefined) await cancelUpload(ex, repository, session);
  return false;
}

/**
 * Uploads a blob: POST opens a session, then one PUT streams the whole
 * body with `?digest=` (spec "Monolithic upload" in two steps). The body
 * is the engine's verifying stream; if it errors the PUT is aborted and the
 * session cancelled, so nothing unverified is committed.
 */
export async function uploadBlob(
  ex: RegistryExchange,
  repository: string,
  descriptor: Descriptor,
  body: Readable,
  signal?: AbortSignal,
): Promise<void> {
  const what = `uploading blob ${descriptor.digest} to ${ex.domain}/${repository}`;
  const start = ex.url(`${repository}/blobs/uploads/`);
  const opened = await sendOpeningSession(ex, {
    method: 'POST',
    url: start,
    scopes: [pushScope(repository)],
    headers: { 'content-length': '0' },
    body: new Uint8Array(0),
    what,
  }, signal);
  await ex.expect(opened, [202], what);
  await discard(opened);
  const location = headerValue(opened.headers, 'location');
  if (location === undefined) throw new ClonerError('IC_ERR_REGISTRY', `${what}: no upload Location returned`);
  const session = resolveLocation(ex, start, location, `${what}: upload Location`);
  if (signal?.aborted === true) {
    // Aborted while the session was being opened: it exists now, so it is cancelled like any other.
    await cancelUpload(ex, repository, session);
    signal.throwIfAborted();
  }
  const put = new URL(session);
  put.searchParams.set('digest', descriptor.digest);
  try {
    const res = await ex.send({
      method: 'PUT',
      url: put,
      scopes: [pushScope(repository)],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(descriptor.size) },
      body,
      signal,
      what,
    });
    await ex.expect(res, [201, 204], what);
    await discard(res);
  } catch (error) {
    body.destroy();
    await cancelUpload(ex, repository, session);
    throw error;
  }
}

/** How long a POST that opens an upload session may go on after the copy is aborted. */
const OPEN_GRACE_MS = 5_000;

/**
 * A POST that may open an upload session. Aborting it as soon as the copy
 * is aborted (another blob failed) would leave a session the registry
 * created but whose Location we never read, so nobody could cancel it: the
 * request gets OPEN_GRACE_MS more to answer, and the caller cancels what it
 * opened. Past the grace it is aborted after all.
 */
async function sendOpeningSession(
  ex: RegistryExchange,
  exchange: Omit<Parameters<RegistryExchange['send']>[0], 'signal'>,
  signal: AbortSignal | undefined,
): Promise<Awaited<ReturnType<RegistryExchange['send']>>> {
  if (signal === undefined) return ex.send(exchange);
  signal.throwIfAborted();
  const late = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    timer = setTimeout(() => late.abort(signal.reason), OPEN_GRACE_MS);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await ex.send({ ...exchange, signal: late.signal });
  } finally {
    signal.removeEventListener('abort', onAbort);
    clearTimeout(timer);
  }
}

/**
 * A cancel is bounded as a whole, retries included: a backup that has gone
 * away must not hold the failed copy (and its concurrency slot) for the
 * transport's full retry budget just to tidy up.
 */
const CANCEL_TIMEOUT_MS = 10_000;

/**
 * Best effort (spec "Canceling an Upload"): frees the registry's session.
 * Called without the copy's signal on purpose: an aborted copy still tidies up.
 */
async function cancelUpload(ex: RegistryExchange, repository: string, session: URL): Promise<void> {
  try {
    const res = await ex.send({
      method: 'DELETE',
      url: session,
      scopes: [pushScope(repository)],
      signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
      what: 'cancelling upload',
    });
    await discard(res);
  } catch {
    // The registry expires abandoned sessions on its own.
  }
}

function tryResolveLocation(ex: RegistryExchange, from: URL, location: string, what: string): URL | undefined {
  try {
    return resolveLocation(ex, from, location, what);
  } catch {
    return undefined;
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}
