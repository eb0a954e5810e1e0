/**
 * Manifest and blob media types. OCI image-spec `media-types.md` and the
 * Docker Image Manifest V2 Schema 2 document.
 */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
/** Deprecated in image-spec 1.1 but still served: never pushed to a mirror. */
export const OCI_LAYER_NONDISTRIBUTABLE_PREFIX = 'application/vnd.oci.image.layer.nondistributable.';

export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** Windows base layers: "foreign", pulled from `urls`, not distributable. */
export const DOCKER_LAYER_FOREIGN = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
/** The uncompressed foreign layer type (containerd's `MediaTypeDockerSchema2LayerForeign`). */
export const DOCKER_LAYER_FOREIGN_TAR = 'application/vnd.docker.image.rootfs.foreign.diff.tar';
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

export const INDEX_MEDIA_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
export const SCHEMA1_MEDIA_TYPES: readonly string[] = [DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED];

/** The Accept header for manifest requests: every type we can copy, best first. */
export const MANIFEST_ACCEPT: readonly string[] = [
  OCI_INDEX,
  DOCKER_MANIFEST_LIST,
  OCI_MANIFEST,
  DOCKER_MANIFEST,
];
