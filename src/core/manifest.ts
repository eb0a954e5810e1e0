/**
 * Reads manifests to learn what they reference and which media type to push
 * them with. The bytes themselves are always copied untouched (their digest
 * is the image's identity); only `filterIndex` builds a new document.
 */
import { ClonerError } from './errors.js';
import { isJsonObject } from './json-object.js';
import type { Descriptor } from './descriptor.js';
import {
  DOCKER_LAYER_FOREIGN,
  DOCKER_LAYER_FOREIGN_TAR,
  IMAGE_MANIFEST_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  OCI_INDEX,
  OCI_LAYER_NONDISTRIBUTABLE_PREFIX,
  OCI_MANIFEST,
  SCHEMA1_MEDIA_TYPES,
} from './media-types.js';
import { describeIssue, imageManifestSchema, indexSchema, toDescriptor } from './manifest-schema.js';

/** distribution's `maxManifestBodySize`: registries refuse bigger manifests. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * image-spec 1.1 `subject`, `artifactType` and `annotations` are read for
 * referrers (distribution spec "Listing Referrers": a referrer's descriptor
 * carries its artifactType and annotations).
 */
interface ArtifactFields {
  readonly subject?: Descriptor;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export type ParsedManifest =
  | ({ readonly kind: 'index'; readonly mediaType: string; readonly manifests: readonly Descriptor[] } & ArtifactFields)
  | ({ readonly kind: 'image'; readonly mediaType: string; readonly config: Descriptor; readonly layers: readonly Descriptor[] } & ArtifactFields);

const SCHEMA1_MESSAGE =
  'schema 1 manifests are not supported (deprecated, and their digest cannot be preserved); rebuild or re-push the image with a v2 client';

export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  const document = decodeDocument(bytes);
  const mediaType = resolveFromDocument(document, contentType);
  if (INDEX_MEDIA_TYPES.includes(mediaType)) {
    const result = indexSchema.safeParse(document);
    if (!result.success) throw badManifest(`invalid ${mediaType}: ${describeIssue(result.error)}`);
    const { manifests, subject, artifactType, annotations } = result.data;
    return {
      kind: 'index',
      mediaType,
      manifests: manifests.map(toDescriptor),
      ...artifactFields(subject, artifactType, annotations),
    };
  }
  const result = imageManifestSchema.safeParse(document);
  if (!result.success) throw badManifest(`invalid ${mediaType}: ${describeIssue(result.error)}`);
  const { config, layers, subject, artifactType, annotations } = result.data;
  return {
    kind: 'image',
    mediaType,
    config: toDescriptor(config),
    layers: layers.map(toDescriptor),
    ...artifactFields(subject, artifactType, annotations),
  };
}

function artifactFields(
  subject: Parameters<typeof toDescriptor>[0] | undefined,
  artifactType: string | undefined,
  annotations: Readonly<Record<string, string>> | undefined,
): ArtifactFields {
  return {
    ...(subject !== undefined && { subject: toDescriptor(subject) }),
    ...(artifactType !== undefined && { artifactType }),
    ...(annotations !== undefined && { annotations }),
  };
}

export function resolveManifestMediaType(bytes: Uint8Array, contentType: string | undefined): string {
  return parseManifest(bytes, contentType).mediaType;
}

export function isSchema1(mediaType: string): boolean {
  return SCHEMA1_MEDIA_TYPES.includes(normalizeMediaType(mediaType));
}

/**
 * image-spec `layer.md` "Non-Distributable Layers" and the Docker schema 2
 * foreign layer: their content is fetched from `urls` (or is licensed not to
 * be redistributed), so a mirror references them without copying them.
 */
export function isNonDistributable(d: Descriptor): boolean {
  const mediaType = normalizeMediaType(d.mediaType);
  return (
    mediaType.startsWith(OCI_LAYER_NONDISTRIBUTABLE_PREFIX) ||
    mediaType === DOCKER_LAYER_FOREIGN ||
    mediaType === DOCKER_LAYER_FOREIGN_TAR
  );
}

/**
 * A new index holding only the children `keep` accepts, in their original
 * order, with every other field (annotations, subject, unknown fields) kept.
 * Re-serializing is unavoidable here, so the result has a new digest.
 */
export function filterIndex(bytes: Uint8Array, keep: (d: Descriptor) => boolean): Uint8Array {
  const parsed = parseManifest(bytes, undefined);
  if (parsed.kind !== 'index') throw badManifest(`cannot filter ${parsed.mediaType}: it is not an index`);
  const document = decodeDocument(bytes);
  const rawChildren = document['manifests'];
  if (!Array.isArray(rawChildren)) throw badManifest('index has no manifests array');
  const kept = rawChildren.filter((_raw: unknown, i) => {
    const child = parsed.manifests[i];
    return child !== undefined && keep(child);
  });
  return new TextEncoder().encode(JSON.stringify({ ...document, manifests: kept }));
}

/**
 * The index with `additions` appended to its `manifests`, every other field
 * (and every existing entry, unknown fields included) kept as it was. Used
 * to update a referrers fallback tag (distribution spec "Pushing Manifests
 * with Subject"), so a new digest is expected.
 */
export function appendToIndex(bytes: Uint8Array, additions: readonly Descriptor[]): Uint8Array {
  const parsed = parseManifest(bytes, undefined);
  if (parsed.kind !== 'index') throw badManifest(`cannot append to ${parsed.mediaType}: it is not an index`);
  const document = decodeDocument(bytes);
  const rawChildren: unknown = document['manifests'];
  if (!Array.isArray(rawChildren)) throw badManifest('index has no manifests array');
  return new TextEncoder().encode(JSON.stringify({ ...document, manifests: [...rawChildren, ...additions] }));
}

type JsonObject = Readonly<Record<string, unknown>>;

function decodeDocument(bytes: Uint8Array): JsonObject {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new ClonerError(
      'IC_ERR_BAD_MANIFEST',
      `manifest is ${bytes.byteLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
    );
  }
  let text: string;
  try {
    // ignoreBOM keeps a leading U+FEFF in the text, so JSON.parse refuses it: RFC 8259 8.1
    // forbids sending one, and registries (Go's encoding/json) refuse such a manifest on push.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw badManifest('manifest is not valid UTF-8', cause);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw badManifest(`manifest is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  if (!isJsonObject(value)) throw badManifest('manifest is not a JSON object');
  return value;
}

/**
 * The document's own `mediaType` is authoritative (image-spec 1.1 asks
 * writers to set it precisely so a document cannot be read as two types);
 * registries often serve a generic Content-Type. Without the field, a known
 * Content-Type is trusted, then the shape.
 */
function resolveFromDocument(document: JsonObject, contentType: string | undefined): string {
  const field = document['mediaType'];
  if (document['schemaVersion'] === 1) throw new ClonerError('IC_ERR_SCHEMA1', SCHEMA1_MESSAGE);
  if (field !== undefined && typeof field !== 'string') throw badManifest('mediaType must be a string');
  const shape = readShape(document);
  if (field !== undefined) {
    if (isSchema1(field)) throw new ClonerError('IC_ERR_SCHEMA1', SCHEMA1_MESSAGE);
    if (!isKnownManifestType(field)) throw badManifest(`unsupported manifest media type "${field}"`);
    return checkShape(field, shape, 'its mediaType field');
  }
  const header = contentType === undefined ? '' : normalizeMediaType(contentType);
  if (isSchema1(header)) throw new ClonerError('IC_ERR_SCHEMA1', SCHEMA1_MESSAGE);
  if (isKnownManifestType(header)) return checkShape(header, shape, 'its Content-Type');
  if (shape.index && shape.image) {
    throw badManifest('manifest has both "manifests" and "config"/"layers", and no mediaType to tell which it is');
  }
  if (shape.index) return OCI_INDEX;
  if (shape.image) return OCI_MANIFEST;
  throw badManifest('cannot tell the manifest type: no mediaType field, no known Content-Type, no "manifests" nor "config"/"layers"');
}

interface Shape {
  readonly index: boolean;
  readonly image: boolean;
}

function readShape(document: JsonObject): Shape {
  return {
    index: Object.hasOwn(document, 'manifests'),
    image: Object.hasOwn(document, 'config') || Object.hasOwn(document, 'layers'),
  };
}

/**
 * Refuses a document whose fields contradict its declared type: reading an
 * index as an image (or the reverse) is the confusion behind
 * CVE-2021-41190, which image-spec 1.0.2 closed by requiring `mediaType`.
 * Missing fields are left for the schema to report.
 */
function checkShape(mediaType: string, shape: Shape, source: string): string {
  const isIndex = INDEX_MEDIA_TYPES.includes(mediaType);
  if (isIndex && shape.image) throw badManifest(`${source} says ${mediaType} but the document has "config"/"layers"`);
  if (!isIndex && shape.index) throw badManifest(`${source} says ${mediaType} but the document has "manifests"`);
  return mediaType;
}

function isKnownManifestType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType) || IMAGE_MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/** RFC 9110 8.3.1: the type is case-insensitive and may carry parameters. */
function normalizeMediaType(mediaType: string): string {
  const semicolon = mediaType.indexOf(';');
  return (semicolon === -1 ? mediaType : mediaType.slice(0, semicolon)).trim().toLowerCase();
}

function badManifest(message: string, cause?: unknown): ClonerError {
  return new ClonerError('IC_ERR_BAD_MANIFEST', message, cause === undefined ? undefined : { cause });
}
