/**
 * Referrers: the artifacts (signatures, SBOMs, attestations) that point at
 * an image through their `subject` field (image-spec 1.1 `manifest.md`
 * "subject"), and how registries list them (distribution spec 1.1
 * "Listing Referrers" and "Referrers Tag Schema"). Also cosign's older
 * convention of plain tags named after the signed digest. Pure: names,
 * documents and parsing only.
 */
import type { Descriptor } from './descriptor.js';
import { parseDigest } from './digest.js';
import { ClonerError } from './errors.js';
import { appendToIndex, parseManifest, type ParsedManifest } from './manifest.js';
import { OCI_INDEX } from './media-types.js';

/**
 * How far referrers are followed: the image's own referrers (depth 1) and
 * theirs (depth 2: the signature of an SBOM, the attestation of a
 * signature). Deeper chains are not known in practice; the bound keeps a
 * hostile registry from making a copy endless.
 */
export const MAX_REFERRER_DEPTH = 2;
/** Referrers followed per subject; more is reported as a failure, not silently cut. */
export const MAX_REFERRERS_PER_SUBJECT = 512;
/** Pages of a paginated referrers answer followed (distribution spec: `Link` header, rel="next"). */
export const MAX_REFERRER_PAGES = 16;

/** cosign's tag suffixes: signatures, attestations, attached SBOMs (`sha256-<hex>.sig`...). */
export const COSIGN_TAG_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/** distribution spec "Pulling manifests": a tag is at most 128 characters. */
const MAX_TAG_LENGTH = 128;

/**
 * The fallback tag of a subject (distribution spec "Referrers Tag Schema"):
 * `<alg>-<ref>`, the algorithm truncated to 32 characters and the encoded
 * digest to 64, so that `sha256:abc...` becomes `sha256-abc...`.
 */
export function fallbackTagFor(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `${algorithm.slice(0, 32)}-${encoded.slice(0, 64)}`;
}

/**
 * cosign's tags for a subject: `<alg>-<hex>.sig`, `.att`, `.sbom` (its
 * "tag-based discovery", used when the registry lacks the referrers API).
 * Those manifests name no `subject`: the tag is the only link.
 */
export function cosignTagsFor(digest: string): readonly string[] {
  const { algorithm, encoded } = parseDigest(digest);
  return COSIGN_TAG_SUFFIXES.map((suffix) => `${algorithm}-${encoded}.${suffix}`).filter((t) => t.length <= MAX_TAG_LENGTH);
}

/**
 * The descriptor that lists a referrer (distribution spec "Listing
 * Referrers"): its artifactType, else its config's media type, and its
 * annotations.
 */
export function referrerDescriptorOf(
  manifest: { readonly mediaType: string; readonly digest: string; readonly bytes: Uint8Array },
  parsed: ParsedManifest,
): Descriptor {
  const artifactType = parsed.artifactType ?? (parsed.kind === 'image' ? parsed.config.mediaType : undefined);
  return {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.bytes.byteLength,
    ...(artifactType !== undefined && { artifactType }),
    ...(parsed.annotations !== undefined && { annotations: parsed.annotations }),
  };
}

/** The referrers a referrers answer or a fallback tag lists: an image index's `manifests`. */
export function parseReferrersIndex(bytes: Uint8Array, contentType: string | undefined): readonly Descriptor[] {
  const parsed = parseManifest(bytes, contentType);
  if (parsed.kind !== 'index') {
    throw new ClonerError('IC_ERR_BAD_MANIFEST', `a referrers list must be an image index, got ${parsed.mediaType}`);
  }
  return parsed.manifests;
}

/**
 * The fallback index with `referrers` merged in, or undefined when it
 * already lists them all (nothing to push). An existing index keeps its
 * entries and fields; entries are never duplicated (matched by digest).
 */
export function mergeReferrersIndex(existing: Uint8Array | undefined, referrers: readonly Descriptor[]): Uint8Array | undefined {
  const listed = new Set(existing === undefined ? [] : parseReferrersIndex(existing, undefined).map((d) => d.digest));
  const additions: Descriptor[] = [];
  for (const referrer of referrers) {
    if (listed.has(referrer.digest)) continue;
    listed.add(referrer.digest);
    additions.push(serializableDescriptor(referrer));
  }
  if (additions.length === 0) return undefined;
  if (existing !== undefined) return appendToIndex(existing, additions);
  return new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: additions }));
}

/**
 * The `rel="next"` target of a Link header (RFC 8288), resolved against the
 * request URL: the referrers API paginates this way. Undefined when none.
 */
export function parseNextLink(header: string | undefined, requestUrl: string): URL | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match === null) continue;
    const params = match[2] ?? '';
    if (!/;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(params)) continue;
    try {
      return new URL(match[1] ?? '', requestUrl);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Only the descriptor fields the spec lists, in a fixed order. */
function serializableDescriptor(d: Descriptor): Descriptor {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.artifactType !== undefined && { artifactType: d.artifactType }),
    ...(d.annotations !== undefined && { annotations: d.annotations }),
  };
}
