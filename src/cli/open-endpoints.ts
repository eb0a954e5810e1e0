/** Turns parsed locations into copy endpoints. */
import { withDefaultTag } from '../core/reference.js';
import type { Location } from '../core/location.js';
import { openOciArchiveSource } from '../archive/oci-archive-source.js';
import { createOciArchiveDestination } from '../archive/oci-archive-destination.js';
import type { ImageDestination, ImageSource } from '../mirror/endpoints.js';
import type { RegistryPool } from '../registry/registry-pool.js';
import { RepositoryEndpoint } from '../registry/repository-endpoint.js';

export async function openSource(location: Location, pool: RegistryPool): Promise<ImageSource> {
  switch (location.kind) {
    case 'docker': {
      const ref = withDefaultTag(location.ref);
      return new RepositoryEndpoint(pool.clientFor(ref.domain), ref);
    }
    case 'oci-archive':
      return openOciArchiveSource(location.file, location.tag);
  }
}

/** The tag a source is known by, carried over when the destination names none. */
export function sourceTag(location: Location): string | undefined {
  switch (location.kind) {
    case 'docker':
      return location.ref.digest === undefined ? (location.ref.tag ?? 'latest') : location.ref.tag;
    case 'oci-archive':
      return location.tag;
  }
}

/**
 * The destination and the tag to push. A destination without tag or digest
 * takes the source's tag; a digest-only destination (or a digest-only source
 * copied to a bare name) is pushed by digest only.
 */
export async function openDestination(
  location: Location,
  pool: RegistryPool,
  fallbackTag: string | undefined,
): Promise<{ destination: ImageDestination; tag: string | undefined; expectedDigest: string | undefined }> {
  switch (location.kind) {
    case 'docker': {
      const { ref } = location;
      const tag = ref.tag ?? (ref.digest === undefined ? fallbackTag : undefined);
      const named = tag === undefined ? ref : { ...ref, tag };
      return {
        destination: new RepositoryEndpoint(pool.clientFor(ref.domain), named),
        tag,
        expectedDigest: ref.digest,
      };
    }
    case 'oci-archive': {
      const tag = location.tag ?? fallbackTag;
      return { destination: await createOciArchiveDestination(location.file, tag), tag, expectedDigest: undefined };
    }
  }
}
