/**
 * A multi-platform image with its supply chain, pushed to a registry the way
 * clients do on a registry without the referrers API (distribution 2.8):
 *   - an SBOM referring to the index, listed in the index's fallback tag;
 *   - a signature referring to the linux/amd64 manifest, in its fallback tag;
 *   - a signature of the SBOM (a referrer's referrer), in the SBOM's tag;
 *   - a cosign signature of the index under `sha256-<hex>.sig`.
 * With `fallbackTags: false` only the artifacts are pushed (for a registry
 * that indexes subjects itself, such as the referrers API proxy).
 */
import {
  cosignSignatureTag,
  fallbackTag,
  makeArtifact,
  makeCosignSignature,
  makeFallbackIndex,
  SBOM_TYPE,
  SIGNATURE_TYPE,
} from './artifacts.js';
import { makeTwoPlatformIndex, pushImage, type TestBlob, type TestImage, type TestIndex } from './images.js';
import type { PeerTarget } from './peer-client.js';

export interface SupplyChain {
  readonly index: TestIndex;
  readonly amd64: TestImage;
  readonly sbom: TestImage;
  readonly platformSignature: TestImage;
  readonly sbomSignature: TestImage;
  readonly cosignSignature: TestImage;
  /** Every artifact, for byte-exact checks. */
  readonly artifacts: readonly TestImage[];
}

export async function makeSupplyChain(seed: string, identity: string): Promise<SupplyChain> {
  const index = await makeTwoPlatformIndex('oci', { seed });
  const amd64 = index.images[0];
  if (amd64 === undefined) throw new Error('two-platform index without images');
  const sbom = makeArtifact({ subject: index.manifest, artifactType: SBOM_TYPE, payload: `{"spdxVersion":"SPDX-2.3","name":"${seed}"}` });
  const platformSignature = makeArtifact({ subject: amd64.manifest, artifactType: SIGNATURE_TYPE, payload: `amd64 signature ${seed}` });
  const sbomSignature = makeArtifact({ subject: sbom.manifest, artifactType: SIGNATURE_TYPE, payload: `sbom signature ${seed}` });
  const cosignSignature = makeCosignSignature(index.manifest.digest, identity);
  const artifacts = [sbom, platformSignature, sbomSignature, cosignSignature];
  return { index, amd64, sbom, platformSignature, sbomSignature, cosignSignature, artifacts };
}

/** Puts a lone manifest (its children must be in the repository already) under a tag. */
export async function pushManifestDocument(registry: PeerTarget, repo: string, tag: string, manifest: TestBlob): Promise<void> {
  await pushImage(registry, repo, tag, { kind: 'index', format: 'oci', manifest, images: [] });
}

export async function pushSupplyChain(
  registry: PeerTarget,
  repo: string,
  tag: string,
  chain: SupplyChain,
  options: { readonly fallbackTags?: boolean } = {},
): Promise<void> {
  await pushImage(registry, repo, tag, chain.index);
  for (const artifact of [chain.sbom, chain.platformSignature, chain.sbomSignature]) {
    await pushImage(registry, repo, undefined, artifact);
  }
  await pushImage(registry, repo, cosignSignatureTag(chain.index.manifest.digest), chain.cosignSignature);
  if (options.fallbackTags === false) return;
  const lists: [string, TestImage][] = [
    [chain.index.manifest.digest, chain.sbom],
    [chain.amd64.manifest.digest, chain.platformSignature],
    [chain.sbom.manifest.digest, chain.sbomSignature],
  ];
  for (const [subject, artifact] of lists) {
    await pushManifestDocument(registry, repo, fallbackTag(subject), makeFallbackIndex([artifact]));
  }
}
