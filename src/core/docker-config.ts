/**
 * Registry credentials from a docker CLI config file (`~/.docker/config.json`,
 * the `.dockerconfigjson` key of a `kubernetes.io/dockerconfigjson` Secret).
 * Only the `auths` map is read: `credsStore` and `credHelpers` name programs
 * to run, which a webhook cannot do. Error messages name the entry and the
 * field, never a value: they end up in logs and admission warnings.
 */
import { z } from 'zod';
import { ClonerError } from './errors.js';

export type Credentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** An OAuth2 refresh token for the token endpoint (distribution `oauth.md`). */
  | { readonly kind: 'identity-token'; readonly username?: string; readonly token: string }
  /** Sent as `Authorization: Bearer` directly, with no token exchange. */
  | { readonly kind: 'registry-token'; readonly token: string };

export interface DockerConfig {
  /** Keyed by normalized registry `host[:port]`; Docker Hub is `docker.io`. */
  readonly entries: ReadonlyMap<string, Credentials>;
}

const entrySchema = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
  registrytoken: z.string().optional(),
});

const configSchema = z.looseObject({
  auths: z.record(z.string(), entrySchema).nullish(),
});

type Entry = z.infer<typeof entrySchema>;

const DOCKER_HUB = 'docker.io';
// The names Docker Hub goes by: the CLI's legacy login key, the API host, and
// distribution/reference's legacy default domain.
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * When several keys name one registry, a key without a repository path wins
 * over one with a path (a kubelet-style `quay.io/org` key), then the first in
 * the document.
 */
export function parseDockerConfig(text: string): DockerConfig {
  const config = configSchema.safeParse(parseJson(text));
  if (!config.success) throw badConfig(describeIssue(config.error));
  const entries = new Map<string, Credentials>();
  const scoped = new Set<string>();
  for (const [key, entry] of Object.entries(config.data.auths ?? {})) {
    const host = normalizeRegistryKey(key);
    const credentials = readEntry(key, entry);
    if (host === undefined || credentials === undefined) continue;
    const hasPath = hasRepositoryPath(key);
    if (entries.has(host) && !(scoped.has(host) && !hasPath)) continue;
    entries.set(host, credentials);
    if (hasPath) scoped.add(host);
    else scoped.delete(host);
  }
  return { entries };
}

export function findCredentials(config: DockerConfig, registryDomain: string): Credentials | undefined {
  return config.entries.get(normalizeHost(registryDomain));
}

/**
 * Precedence follows docker: a non-empty `auth` replaces username/password
 * (docker/cli `configfile.LoadFromReader`), and a registry token, then an
 * identity token, is used before a password (moby `registry` auth).
 */
function readEntry(key: string, entry: Entry): Credentials | undefined {
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth !== undefined && entry.auth !== '') {
    [username, password] = decodeAuth(key, entry.auth);
  }
  if (entry.registrytoken !== undefined && entry.registrytoken !== '') {
    return { kind: 'registry-token', token: entry.registrytoken };
  }
  if (entry.identitytoken !== undefined && entry.identitytoken !== '') {
    return { kind: 'identity-token', token: entry.identitytoken, ...(username !== '' && { username }) };
  }
  return username === '' ? undefined : { kind: 'basic', username, password };
}

/** `auth` is base64 of `user:password`; the password may itself contain ':'. */
function decodeAuth(key: string, auth: string): [string, string] {
  let text: string;
  try {
    const binary = atob(auth);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badConfig(`${entryPath(key)}.auth is not base64 of "user:password"`);
  }
  const colon = text.indexOf(':');
  if (colon <= 0) throw badConfig(`${entryPath(key)}.auth is not base64 of "user:password"`);
  // docker/cli trims NULs some tools leave at the end of the decoded value.
  return [text.slice(0, colon), trimNul(text.slice(colon + 1))];
}

function trimNul(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === 0) start++;
  while (end > start && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(start, end);
}

/** `https://host:port/v1/`, `http://host`, `host/path` -> `host[:port]`, lowercased. */
function normalizeRegistryKey(key: string): string | undefined {
  const host = stripScheme(key.trim()).split('/')[0] ?? '';
  return host === '' ? undefined : normalizeHost(host);
}

function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

function stripScheme(key: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\//i.exec(key);
  return match === null ? key : key.slice(match[0].length);
}

/** `/v1/` and `/v2/` are API roots (the docker login key), not repositories. */
function hasRepositoryPath(key: string): boolean {
  const rest = stripScheme(key.trim());
  const slash = rest.indexOf('/');
  if (slash === -1) return false;
  return !/^\/(?:v[12]\/?)?$/i.test(rest.slice(slash));
}

/** Never echoes JSON.parse's message: V8 quotes a slice of the input, which may hold a secret. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    throw badConfig(`docker config is not valid JSON${position === undefined ? '' : ` (at position ${position})`}`);
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'docker config is invalid';
  const [first, key, field] = issue.path;
  let where = 'docker config';
  if (first === 'auths') {
    where = key === undefined ? 'auths' : entryPath(String(key));
    if (field !== undefined) where += `.${String(field)}`;
  }
  return issue.code === 'invalid_type' ? `${where} must be ${describeExpected(issue.expected)}` : `${where} is invalid`;
}

function describeExpected(expected: string): string {
  return expected === 'record' || expected === 'object' ? 'an object' : `a ${expected}`;
}

function entryPath(key: string): string {
  return `auths[${JSON.stringify(key.length > 100 ? `${key.slice(0, 100)}...` : key)}]`;
}

function badConfig(message: string): ClonerError {
  return new ClonerError('IC_ERR_BAD_AUTH_CONFIG', message);
}
