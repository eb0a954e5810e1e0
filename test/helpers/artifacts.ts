/**
 * Supply-chain artifacts for tests, with exact bytes, written here from the
 * specs independently of src/core/referrers.ts:
 *   - OCI 1.1 artifacts (image-spec `manifest.md` "Guidelines for Artifact
 *     Usage"): `artifactType`, the 2-byte `{}` empty config
 *     (`application/vnd.oci.empty.v1+json`), one layer, and a `subject`;
 *   - cosign-style signatures: an OCI manifest with a simple-signing layer
 *     and the signature in the layer's annotations, tagged
 *     `sha256-<hex>.sig` and naming no subject;
 *   - fallback tag indexes (distribution spec "Referrers Tag Schema").
 * They are TestImages, so pushImage pushes them (blobs, then the manifest).
 */
import { sha256Digest } from './layers.js';
import type { InMemoryLayer } from './layers.js';
import { fetchManifest, MEDIA_TYPES, type TestBlob, type TestImage } from './images.js';
import type { PeerTarget } from './peer-client.js';

export const EMPTY_JSON_TYPE = 'application/vnd.oci.empty.v1+json';
export const SIMPLE_SIGNING_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SBOM_TYPE = 'application/spdx+json';
export const SIGNATURE_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

/** What a subject field needs of a manifest. */
export interface SubjectManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

function jsonBlob(document: unknown, mediaType: string, indent = 0): TestBlob {
  const bytes = Buffer.from(JSON.stringify(document, null, indent));
  return { bytes, digest: sha256Digest(bytes), size: bytes.length, mediaType };
}

function rawLayer(bytes: Buffer): InMemoryLayer {
  const digest = sha256Digest(bytes);
  return { bytes, digest, size: bytes.length, diffId: digest, compressed: false };
}

function descriptorOf(blob: { readonly mediaType: string; readonly digest: string; readonly size: number }): SubjectManifest {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}

/** An OCI artifact referring to `subject`, e.g. an SBOM or an in-toto attestation. */
export function makeArtifact(input: {
  readonly subject: SubjectManifest;
  readonly artifactType: string;
  readonly payload: string;
  readonly layerMediaType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}): TestImage {
  const config = jsonBlob({}, EMPTY_JSON_TYPE);
  const layer = rawLayer(Buffer.from(input.payload));
  const manifest = jsonBlob(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: input.artifactType,
      config: descriptorOf(config),
      layers: [{ mediaType: input.layerMediaType ?? input.artifactType, digest: layer.digest, size: layer.size }],
      subject: descriptorOf(input.subject),
      annotations: input.annotations ?? { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    },
    MEDIA_TYPES.ociManifest,
    2,
  );
  return { kind: 'image', format: 'oci', platform: { os: 'unknown', architecture: 'unknown' }, manifest, config, layers: [layer] };
}

/** A cosign signature manifest for `subjectDigest` (cosign's tag-based layout: no subject field). */
export function makeCosignSignature(subjectDigest: string, identity: string): TestImage {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': identity },
        image: { 'docker-manifest-digest': subjectDigest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const layer = rawLayer(payload);
  const config = jsonBlob(
    { architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } },
    MEDIA_TYPES.ociConfig,
  );
  const manifest = jsonBlob(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: descriptorOf(config),
      layers: [
        {
          mediaType: SIMPLE_SIGNING_TYPE,
          digest: layer.digest,
          size: layer.size,
          annotations: { 'dev.cosignproject.cosign/signature': Buffer.from(`sig of ${subjectDigest}`).toString('base64') },
        },
      ],
    },
    MEDIA_TYPES.ociManifest,
  );
  return { kind: 'image', format: 'oci', platform: { os: 'unknown', architecture: 'unknown' }, manifest, config, layers: [layer] };
}

/** `sha256-<hex>`: the fallback tag of a subject. */
export function fallbackTag(digest: string): string {
  return digest.replace(':', '-');
}

/** `sha256-<hex>.sig`: cosign's signature tag. */
export function cosignSignatureTag(digest: string): string {
  return `${fallbackTag(digest)}.sig`;
}

/** The descriptor a referrers list holds for an artifact (artifactType, else its config's type). */
export function referrerEntry(artifact: TestImage): Record<string, unknown> {
  const document = JSON.parse(artifact.manifest.bytes.toString('utf8')) as {
    artifactType?: string;
    annotations?: Record<string, string>;
  };
  return {
    mediaType: artifact.manifest.mediaType,
    digest: artifact.manifest.digest,
    size: artifact.manifest.size,
    artifactType: document.artifactType ?? artifact.config.mediaType,
    ...(document.annotations === undefined ? {} : { annotations: document.annotations }),
  };
}

/** A fallback tag's index listing `artifacts`. */
export function makeFallbackIndex(artifacts: readonly TestImage[]): TestBlob {
  return jsonBlob({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: artifacts.map(referrerEntry) }, MEDIA_TYPES.ociIndex);
}

/** Whether the registry has a manifest under `ref` (tag or digest); false on 404, anything else throws. */
export async function hasManifest(registry: PeerTarget, repo: string, ref: string): Promise<boolean> {
  try {
    await fetchManifest(registry, repo, ref);
    return true;
  } catch (error) {
    if (error instanceof Error && error.message.includes('HTTP 404')) return false;
    throw error;
  }
}
