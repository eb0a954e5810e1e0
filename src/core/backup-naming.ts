/**
 * Naming policy: where the copy of a source image lives in the backup registry.
 *
 *   nested (default): BACKUP[/PREFIX]/<domain component>/<source path>
 *   flat:             BACKUP/PREFIX/<domain and path as one path component>
 *
 * Both are injective (distinct source repositories never share a backup
 * repository), which the naming of the project this replaces was not
 * (`bitnami/redis` and `redis` both became `user/redis`).
 *
 * Domain component. Hosts are case-insensitive (RFC 4343), so they are
 * lowercased: `Quay.IO/x` and `quay.io/x` are one repository. A DNS name or
 * IPv4 address is already a valid path component ([a-z0-9.-], starting and
 * ending alphanumeric) and, per the reference grammar (distribution/reference
 * regexp.go domainNameComponent), never contains "_". So "_" can mark the
 * port: `localhost:5000` -> `localhost_5000`. An IPv6 host (`[::1]`) has
 * brackets and colons, which no path may hold: it becomes `ipv6__` + the
 * address with ":" written "x" (hex has no "x"), e.g. `[::1]:5000` ->
 * `ipv6__xx1_5000`. Only IPv6 components contain "__", and neither an address
 * nor a host contains "_", so the component decodes uniquely.
 *
 * Flat component. The domain component and the path are joined with "/" and
 * then written with only [a-z0-9._-]: every run of k hyphens becomes k+1
 * hyphens, then every "/" becomes one hyphen. A "/" always sits between two
 * alphanumerics, so in the result a lone "-" decodes to "/" and a run of k+1
 * to k hyphens. The result is still one valid path component (Docker Hub
 * accepts only `namespace/name`).
 *
 * A backup path over the 255-character limit is refused with
 * IC_ERR_BACKUP_NAME rather than truncated (truncation would break
 * injectivity) or hashed (a hashed name cannot be read back by an operator).
 * Real paths are far shorter; such an image is left alone with a warning.
 */
import { ClonerError, assertNever } from './errors.js';
import { DOCKER_HUB_DOMAIN, MAX_REPOSITORY_PATH_LENGTH, isValidRepositoryPath, parseImageRef } from './reference.js';
import type { ImageRef } from './reference.js';

export type BackupLayout = 'nested' | 'flat';

/** Validated and normalized by parseBackupNaming; every other function here expects that form. */
export interface BackupNaming {
  /** HOST[:PORT] written into pod specs, lowercase, Docker Hub aliases folded to docker.io. */
  readonly registry: string;
  /** Repository path prefix without leading or trailing "/"; required by the flat layout. */
  readonly prefix?: string;
  readonly layout: BackupLayout;
}

export interface BackupNamingInput {
  readonly registry: string;
  readonly prefix?: string | undefined;
  readonly layout?: BackupLayout | undefined;
}

const IPV6_MARKER = 'ipv6__';
const DOMAIN_PARTS = /^(\[[0-9a-f:]+\]|[a-z0-9.-]+)(?::([0-9]+))?$/;

/** Throws IC_ERR_BAD_CONFIG naming every problem at once. */
export function parseBackupNaming(input: BackupNamingInput): BackupNaming {
  const problems: string[] = [];
  const registry = normalizeRegistryName(input.registry);
  if (registry === undefined) {
    problems.push(
      `backup registry ${JSON.stringify(input.registry)} is not HOST[:PORT] ` +
        '(a host needs a "." or a port, or must be localhost, or references would read it as a Docker Hub namespace)',
    );
  }
  const prefix = input.prefix?.replace(/^\/+|\/+$/g, '') ?? '';
  if (prefix !== '' && !isValidRepositoryPath(prefix)) {
    problems.push(`backup prefix ${JSON.stringify(input.prefix)} is not a valid repository path`);
  }
  const layout = input.layout ?? 'nested';
  if (layout === 'flat' && prefix === '') {
    problems.push('the flat layout needs a prefix (the namespace, e.g. a Docker Hub organization)');
  }
  if (registry === undefined || problems.length > 0) {
    throw new ClonerError('IC_ERR_BAD_CONFIG', problems.join('; '));
  }
  return Object.freeze(prefix === '' ? { registry, layout } : { registry, prefix, layout });
}

/**
 * A registry name as image references spell it: lowercase, Docker Hub's
 * aliases folded into docker.io; an optional http(s):// and trailing "/" are
 * dropped so that a push endpoint URL can be given. Undefined when it is not
 * a HOST[:PORT] that a reference would read as a registry.
 */
export function normalizeRegistryName(name: string): string | undefined {
  const bare = stripScheme(name);
  if (bare === '' || bare.includes('/')) return undefined;
  try {
    // A name that references would read as a Docker Hub namespace puts
    // itself into the path; Docker Hub's own aliases come back as docker.io.
    const { domain, path } = parseImageRef(`${bare}/x`);
    const isHost = path === 'x' || (domain === DOCKER_HUB_DOMAIN && path === 'library/x');
    return isHost ? domain.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** The backup copy of `source`: same tag, same digest. Throws IC_ERR_BACKUP_NAME past the path limit. */
export function toBackupRef(source: ImageRef, naming: BackupNaming): ImageRef {
  return { ...source, domain: naming.registry, path: backupRepositoryPath(source, naming) };
}

/** The repository path (without the registry) that holds the copy of `source`. */
export function backupRepositoryPath(source: Pick<ImageRef, 'domain' | 'path'>, naming: BackupNaming): string {
  const domain = encodeDomainComponent(source.domain);
  const prefix = naming.prefix === undefined ? '' : `${naming.prefix}/`;
  let path: string;
  switch (naming.layout) {
    case 'nested':
      path = `${prefix}${domain}/${source.path}`;
      break;
    case 'flat':
      path = `${prefix}${encodeFlatComponent(domain, source.path)}`;
      break;
    default:
      return assertNever(naming.layout);
  }
  if (!isValidRepositoryPath(path)) {
    const reason =
      path.length > MAX_REPOSITORY_PATH_LENGTH
        ? `would be ${path.length} characters, over the limit of ${MAX_REPOSITORY_PATH_LENGTH}`
        : 'is not a valid repository path';
    throw new ClonerError('IC_ERR_BACKUP_NAME', `backup name for ${source.domain}/${source.path} ${reason}`);
  }
  return path;
}

/**
 * True when the image already lives in the backup registry, under the name
 * written into pod specs or under any other name of the same registry (the
 * push endpoint: Kind's `kind-registry:5000` for `localhost:5001`,
 * CLUSTER-NOTES 2.2). With a prefix, only paths under it count: on a shared
 * registry (Docker Hub) the rest of the registry is not ours.
 */
export function isInBackup(
  ref: Pick<ImageRef, 'domain' | 'path'>,
  naming: BackupNaming,
  alsoKnownAs: readonly string[] = [],
): boolean {
  const domain = ref.domain.toLowerCase();
  // On the hot path: a light normalization (parseMutationPolicy has already
  // validated and normalized its aliases with normalizeRegistryName).
  const known = domain === naming.registry || alsoKnownAs.some((name) => stripScheme(name).toLowerCase() === domain);
  if (!known) return false;
  return naming.prefix === undefined || ref.path.startsWith(`${naming.prefix}/`);
}

/** `host[:port]` -> one path component; see the file comment for why it is injective. */
export function encodeDomainComponent(domain: string): string {
  const match = DOMAIN_PARTS.exec(domain.toLowerCase());
  const host = match?.[1];
  if (host === undefined) {
    throw new ClonerError('IC_ERR_BACKUP_NAME', `${JSON.stringify(domain)} is not a registry HOST[:PORT]`);
  }
  const port = match?.[2];
  const encodedHost = host.startsWith('[') ? IPV6_MARKER + host.slice(1, -1).replaceAll(':', 'x') : host;
  return port === undefined ? encodedHost : `${encodedHost}_${port}`;
}

/** The encoded domain component and the path, as one path component; see the file comment. */
export function encodeFlatComponent(domainComponent: string, path: string): string {
  return `${domainComponent}/${path}`.replace(/-+/g, (run) => `${run}-`).replaceAll('/', '-');
}

function stripScheme(name: string): string {
  return name.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '');
}
