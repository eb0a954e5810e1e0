/**
 * Test images with exact bytes: image configs, manifests (OCI and Docker
 * schema2) and indexes (OCI index, Docker manifest list). Manifests are
 * written with a 3-space indent, as Docker writes them, so a client that
 * re-serializes instead of copying bytes changes the digest and is caught.
 *
 * This file also re-exports the layer builders and the push/fetch peer so
 * that tests can import everything image-related from one place.
 */
import { makeLargeLayerFile, makeLayer, sha256Digest } from './layers.js';
import type { TestLayer } from './layers.js';

export { makeLayer, makeLargeLayerFile, sha256Digest } from './layers.js';
export type { FileLayer, InMemoryLayer, LayerSpec, TestLayer } from './layers.js';
export { blobExists, fetchBlob, fetchManifest, pushImage, pushLayerFromFile } from './push.js';
export type { FetchedManifest, PushOptions } from './push.js';

export type ImageFormat = 'oci' | 'docker';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** Exact bytes of a JSON document with their digest and media type. */
export interface TestBlob {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

export interface TestImage {
  readonly kind: 'image';
  readonly format: ImageFormat;
  readonly platform: Platform;
  readonly manifest: TestBlob;
  readonly config: TestBlob;
  readonly layers: readonly TestLayer[];
}

export interface TestIndex {
  readonly kind: 'index';
  readonly format: ImageFormat;
  readonly manifest: TestBlob;
  readonly images: readonly TestImage[];
}

export const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64' };
export const LINUX_ARM64_V8: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };

function blob(document: unknown, mediaType: string, indent: number): TestBlob {
  const bytes = Buffer.from(JSON.stringify(document, null, indent));
  return { bytes, digest: sha256Digest(bytes), size: bytes.length, mediaType };
}

export function layerMediaType(format: ImageFormat, layer: TestLayer): string {
  if (format === 'oci') return layer.compressed ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayerTar;
  return layer.compressed ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.dockerLayerTar;
}

export function makeImage(input: {
  readonly format: ImageFormat;
  readonly layers: readonly TestLayer[];
  readonly platform?: Platform;
  readonly labels?: Readonly<Record<string, string>>;
  /** OCI only: manifest annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
}): TestImage {
  const platform = input.platform ?? LINUX_AMD64;
  const { format, layers } = input;
  const config = blob(
    {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant === undefined ? {} : { variant: platform.variant }),
      created: '1970-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/true'], Labels: input.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'image-cloner test helper' })),
    },
    format === 'oci' ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig,
    0,
  );
  const manifestType = format === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest = blob(
    {
      schemaVersion: 2,
      mediaType: manifestType,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: layerMediaType(format, l), digest: l.digest, size: l.size })),
      ...(format === 'oci' && input.annotations !== undefined ? { annotations: input.annotations } : {}),
    },
    manifestType,
    3,
  );
  return { kind: 'image', format, platform, manifest, config, layers };
}

export function makeIndex(input: {
  readonly format: ImageFormat;
  readonly images: readonly TestImage[];
  readonly annotations?: Readonly<Record<string, string>>;
}): TestIndex {
  const { format, images } = input;
  for (const image of images) {
    if (image.format !== format) throw new Error(`makeIndex: a ${image.format} image in a ${format} index`);
  }
  const indexType = format === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerList;
  const manifest = blob(
    {
      schemaVersion: 2,
      mediaType: indexType,
      manifests: images.map((image) => ({
        mediaType: image.manifest.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.size,
        platform: {
          architecture: image.platform.architecture,
          os: image.platform.os,
          ...(image.platform.variant === undefined ? {} : { variant: image.platform.variant }),
        },
      })),
      ...(format === 'oci' && input.annotations !== undefined ? { annotations: input.annotations } : {}),
    },
    indexType,
    3,
  );
  return { kind: 'index', format, manifest, images };
}

/** A one-layer image with a small deterministic layer (different per seed). */
export async function makeSimpleImage(
  format: ImageFormat,
  options: { readonly seed?: string; readonly platform?: Platform } = {},
): Promise<TestImage> {
  const seed = options.seed ?? 'simple';
  const layer = await makeLayer({ files: { 'etc/image-cloner-test': `${seed}\n` } });
  return makeImage({ format, layers: [layer], ...(options.platform ? { platform: options.platform } : {}) });
}

/**
 * linux/amd64 + linux/arm64/v8, each with a shared base layer and a layer of
 * its own, so tests see both blob reuse and per-platform blobs.
 */
export async function makeTwoPlatformIndex(
  format: ImageFormat,
  options: { readonly seed?: string } = {},
): Promise<TestIndex> {
  const seed = options.seed ?? 'two-platform';
  const base = await makeLayer({ files: { 'etc/os-release': `ID=test\nSEED=${seed}\n` } });
  const images = await Promise.all(
    [LINUX_AMD64, LINUX_ARM64_V8].map(async (platform) => {
      const own = await makeLayer({ files: { [`opt/${platform.architecture}/hello`]: `hello ${seed}\n` } });
      return makeImage({ format, layers: [base, own], platform });
    }),
  );
  return makeIndex({ format, images });
}

/**
 * For benchmarks: an image whose one layer is `sizeMiB` MiB of incompressible
 * bytes in `file` (see makeLargeLayerFile); pushImage streams it.
 */
export async function makeLargeImage(input: {
  readonly file: string;
  readonly sizeMiB: number;
  readonly format: ImageFormat;
  readonly seed?: string | number;
  readonly gzip?: boolean;
}): Promise<TestImage> {
  const layer = await makeLargeLayerFile(input.file, {
    sizeMiB: input.sizeMiB,
    ...(input.seed === undefined ? {} : { seed: input.seed }),
    ...(input.gzip === undefined ? {} : { gzip: input.gzip }),
  });
  return makeImage({ format: input.format, layers: [layer] });
}
