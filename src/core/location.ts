/**
 * Copy locations, as skopeo writes them: `docker://HOST[:PORT]/PATH[:TAG][@DIGEST]`
 * (the `docker://` may be omitted) or `oci-archive:FILE[:TAG]` (containers/image
 * `oci/archive`: the path ends at the first colon, the rest is the tag).
 */
import { ClonerError } from './errors.js';
import { isValidTag, parseImageRef, type ImageRef } from './reference.js';

export type Location =
  | { readonly kind: 'docker'; readonly ref: ImageRef }
  | { readonly kind: 'oci-archive'; readonly file: string; readonly tag?: string };

const DOCKER_PREFIX = 'docker://';
const ARCHIVE_PREFIX = 'oci-archive:';
/** skopeo transports we do not implement: named so the error is clear rather than a bad-reference one. */
const OTHER_TRANSPORTS = new Set([
  'dir',
  'oci',
  'docker-archive',
  'docker-daemon',
  'containers-storage',
  'ostree',
  'sif',
  'tarball',
]);

export function parseLocation(input: string): Location {
  if (input.startsWith(ARCHIVE_PREFIX)) {
    const rest = input.slice(ARCHIVE_PREFIX.length);
    const colon = rest.indexOf(':');
    const file = colon === -1 ? rest : rest.slice(0, colon);
    const tag = colon === -1 ? undefined : rest.slice(colon + 1);
    if (file === '') throw new ClonerError('IC_ERR_BAD_LOCATION', `${input}: no archive file named`);
    if (tag === undefined) return { kind: 'oci-archive', file };
    if (!isValidTag(tag)) throw new ClonerError('IC_ERR_BAD_LOCATION', `${input}: "${tag}" is not a valid tag`);
    return { kind: 'oci-archive', file, tag };
  }
  const body = input.startsWith(DOCKER_PREFIX) ? input.slice(DOCKER_PREFIX.length) : input;
  // `oci:1.0` is still an image named oci; `oci:/dir:tag` is skopeo's oci transport.
  const transport = /^([a-z-]+):(.*)$/s.exec(body);
  const otherTransport =
    transport?.[1] !== undefined && OTHER_TRANSPORTS.has(transport[1]) && !isValidTag(transport[2] ?? '');
  if (body.includes('://') || otherTransport) {
    throw new ClonerError(
      'IC_ERR_BAD_LOCATION',
      `${input}: unsupported location (use docker://HOST/PATH[:TAG][@DIGEST] or oci-archive:FILE[:TAG])`,
    );
  }
  return { kind: 'docker', ref: parseImageRef(body) };
}

export function formatLocation(location: Location): string {
  switch (location.kind) {
    case 'docker': {
      const { domain, path, tag, digest } = location.ref;
      return `docker://${domain}/${path}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
    }
    case 'oci-archive':
      return `oci-archive:${location.file}${location.tag === undefined ? '' : `:${location.tag}`}`;
  }
}
