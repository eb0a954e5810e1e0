/**
 * Image references, following github.com/distribution/reference (the grammar
 * in reference.go and regexp.go, the Docker Hub normalization in
 * normalize.go), so that we accept and name exactly what container runtimes
 * do:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path
 *   domain     := host [":" port]      host := domain-name | IPv4 | "[" IPv6 "]"
 *   path       := path-component ["/" path-component]*
 *
 * Every ImageRef is fully qualified: familiar Docker Hub names are expanded
 * ("alpine" -> docker.io/library/alpine) and no tag is implied (withDefaultTag
 * adds "latest" where a caller wants TagNameOnly's behaviour).
 */
import { parseDigest } from './digest.js';
import { ClonerError } from './errors.js';

export interface ImageRef {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

export const DOCKER_HUB_DOMAIN = 'docker.io';

/** The Docker Hub registry API host (normalize.go: "actual domain of Docker Hub's registry"). */
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** normalize.go legacyDefaultDomain: the old "Docker Index" name, canonicalized to docker.io. */
const LEGACY_DOCKER_HUB_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';

/**
 * reference.go RepositoryNameTotalLengthMax. Since distribution/reference
 * v0.6.0 (PR #9) it bounds the path only, not domain + "/" + path: the
 * domain was excluded so that the same repository is valid on every host.
 */
export const MAX_REPOSITORY_PATH_LENGTH = 255;

/**
 * Not in distribution/reference, which bounds no whole reference. Bounds the
 * regular-expression work on hostile input; a valid reference is far
 * shorter (a resolvable host is at most 253 characters, a path 255, a tag
 * 128, a registered digest 135).
 */
const MAX_REFERENCE_LENGTH = 4096;

// regexp.go, piece by piece, each matched whole against its own part of the
// input. Without the `u` flag, `\w` is ASCII-only here as in Go's RE2.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
/** Compressed or full IPv6 in brackets; zones (RFC 6874) and IPv4-mapped forms are excluded. */
const IPV6_ADDRESS = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
/** Reference-level digest shape; parseDigest then applies the OCI rules. */
const REFERENCE_DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}';
/** A bare image ID: normalize.go refuses it as a name ("cannot specify 64-byte hexadecimal strings"). */
const IDENTIFIER = '[a-f0-9]{64}';

const ANCHORED_REMOTE_NAME = anchor(REMOTE_NAME);
const ANCHORED_DOMAIN = anchor(DOMAIN_AND_PORT);
const ANCHORED_TAG = anchor(TAG);
const ANCHORED_REFERENCE_DIGEST = anchor(REFERENCE_DIGEST);
const ANCHORED_IDENTIFIER = anchor(IDENTIFIER);
const ANCHORED_PATH_COMPONENT = anchor(PATH_COMPONENT);
const PATH_COMPONENT_CHARS = /^[a-z0-9._-]$/;

/**
 * ParseNormalizedNamed: accepts familiar names and returns the fully
 * qualified reference. Throws IC_ERR_BAD_REFERENCE naming the input and why.
 */
export function parseImageRef(input: string): ImageRef {
  if (input === '') throw badReference(input, 'repository name must have at least one component');
  if (input.length > MAX_REFERENCE_LENGTH) {
    throw badReference(input, `longer than ${MAX_REFERENCE_LENGTH} characters`);
  }
  if (ANCHORED_IDENTIFIER.test(input)) {
    throw badReference(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  const { domain, remainder } = splitDockerDomain(input);
  const remote = remainder.split(':', 1)[0] ?? remainder;
  if (remote.toLowerCase() !== remote) {
    throw badReference(input, `repository name ${quote(remote)} must be lowercase`);
  }
  if (!ANCHORED_DOMAIN.test(domain)) {
    // distribution/reference would read such a first component as part of
    // the path and return a name without a domain; with no registry to
    // contact, that is of no use here, so it is refused.
    throw badReference(input, `${quote(domain)} is not a valid registry host[:port]`);
  }

  // Neither a path nor a tag can contain "@" or ":", and a digest holds
  // exactly one ":" and no "@", so this split is the one ReferenceRegexp makes.
  const at = remainder.indexOf('@');
  const nameAndTag = at === -1 ? remainder : remainder.slice(0, at);
  const digest = at === -1 ? undefined : remainder.slice(at + 1);
  const colon = nameAndTag.indexOf(':');
  const path = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
  const tag = colon === -1 ? undefined : nameAndTag.slice(colon + 1);

  if (!ANCHORED_REMOTE_NAME.test(path)) throw badReference(input, describePathProblem(path));
  if (tag !== undefined && !ANCHORED_TAG.test(tag)) {
    throw badReference(input, `invalid tag ${quote(tag)}: 1 to 128 of [A-Za-z0-9_.-], not starting with "." or "-"`);
  }
  if (digest !== undefined && !ANCHORED_REFERENCE_DIGEST.test(digest)) {
    throw badReference(input, `invalid digest ${quote(digest)}: expected <algorithm>:<hex>`);
  }
  if (path.length > MAX_REPOSITORY_PATH_LENGTH) {
    throw badReference(input, `repository name must not be more than ${MAX_REPOSITORY_PATH_LENGTH} characters`);
  }
  if (digest !== undefined) {
    try {
      parseDigest(digest);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : 'invalid digest';
      throw badReference(input, reason, cause);
    }
  }
  return buildImageRef(domain, path, tag, digest);
}

/**
 * ParseNamed: like parseImageRef, but the input must already be in canonical
 * form ("docker.io/library/alpine", never "alpine" or "index.docker.io/...").
 */
export function parseImageRefStrict(input: string): ImageRef {
  const ref = parseImageRef(input);
  const canonical = formatImageRef(ref);
  if (canonical !== input) {
    throw badReference(input, `repository name must be canonical (write ${quote(canonical)})`);
  }
  return ref;
}

/** TagNameOnly: a name without tag or digest means its "latest" tag. */
export function withDefaultTag(ref: ImageRef): ImageRef {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/** The canonical string: domain/path[:tag][@digest]. */
export function formatImageRef(ref: ImageRef): string {
  return formatRepository(ref) + formatSuffix(ref);
}

export function formatRepository(ref: Pick<ImageRef, 'domain' | 'path'>): string {
  return `${ref.domain}/${ref.path}`;
}

/**
 * FamiliarString: the short form Docker shows. Only Docker Hub names shrink,
 * and "library/" goes only when one component remains (normalize.go
 * familiarizeName).
 */
export function familiarImageRef(ref: ImageRef): string {
  return familiarName(ref) + formatSuffix(ref);
}

/** Where a registry's HTTP API is served: Docker Hub's is not at docker.io. */
export function registryApiHost(domain: string): string {
  return domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}

export function isValidTag(tag: string): boolean {
  return ANCHORED_TAG.test(tag);
}

/** A repository path without domain: path-component grammar and the length limit. */
export function isValidRepositoryPath(path: string): boolean {
  return path.length <= MAX_REPOSITORY_PATH_LENGTH && ANCHORED_REMOTE_NAME.test(path);
}

/**
 * normalize.go splitDockerDomain: the first component is a registry host
 * when it is "localhost", contains "." or ":", or has an uppercase letter
 * (paths are lowercase, so it cannot be a path); otherwise the name is on
 * Docker Hub, and a single-component Docker Hub name is an official image.
 */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash === -1) return { domain: DOCKER_HUB_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };
  const first = name.slice(0, slash);
  let domain = DOCKER_HUB_DOMAIN;
  let remainder = name;
  if (first === LEGACY_DOCKER_HUB_DOMAIN) {
    remainder = name.slice(slash + 1);
  } else if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    domain = first;
    remainder = name.slice(slash + 1);
  }
  if (domain === DOCKER_HUB_DOMAIN && !remainder.includes('/')) {
    remainder = OFFICIAL_REPO_PREFIX + remainder;
  }
  return { domain, remainder };
}

function familiarName(ref: ImageRef): string {
  if (ref.domain !== DOCKER_HUB_DOMAIN) return formatRepository(ref);
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

function formatSuffix(ref: ImageRef): string {
  const tag = ref.tag === undefined ? '' : `:${ref.tag}`;
  const digest = ref.digest === undefined ? '' : `@${ref.digest}`;
  return tag + digest;
}

function buildImageRef(
  domain: string,
  path: string,
  tag: string | undefined,
  digest: string | undefined,
): ImageRef {
  // exactOptionalPropertyTypes: absent parts are left out, never `undefined`.
  if (tag !== undefined && digest !== undefined) return { domain, path, tag, digest };
  if (tag !== undefined) return { domain, path, tag };
  if (digest !== undefined) return { domain, path, digest };
  return { domain, path };
}

/** Says which rule a path breaks, so a warning tells the user what to fix. */
function describePathProblem(path: string): string {
  const prefix = `invalid repository name ${quote(path)}`;
  for (const component of path.split('/')) {
    if (component === '') return `${prefix}: empty path component (leading, trailing or doubled "/")`;
    const badChar = [...component].find((c) => !PATH_COMPONENT_CHARS.test(c));
    if (badChar !== undefined) return `${prefix}: character ${quote(badChar)} is not allowed`;
    if (!ANCHORED_PATH_COMPONENT.test(component)) {
      return (
        `${prefix}: component ${quote(component)} must start and end with a lowercase ` +
        'letter or digit, with only ".", "_", "__" or "-" between them'
      );
    }
  }
  return prefix;
}

function anchor(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/** JSON quoting keeps control characters in hostile input out of log lines. */
function quote(value: string): string {
  return JSON.stringify(value.length > 300 ? `${value.slice(0, 300)}...` : value);
}

function badReference(input: string, reason: string, cause?: unknown): ClonerError {
  const message = `invalid image reference ${quote(input)}: ${reason}`;
  return cause === undefined
    ? new ClonerError('IC_ERR_BAD_REFERENCE', message)
    : new ClonerError('IC_ERR_BAD_REFERENCE', message, { cause });
}
