/**
 * The two JSON files at the root of an OCI image layout (image-spec
 * `image-layout.md`): `oci-layout`, and `index.json`, an image index whose
 * entries are the layout's images, named by the
 * `org.opencontainers.image.ref.name` annotation.
 */
import { z } from 'zod';
import { ClonerError } from '../core/errors.js';
import { OCI_INDEX } from '../core/media-types.js';
import { IMAGE_LAYOUT_VERSION, REF_NAME_ANNOTATION, splitDigest } from './layout-paths.js';

const layoutMarkerSchema = z.looseObject({ imageLayoutVersion: z.string() });

const entrySchema = z.looseObject({
  mediaType: z.string(),
  digest: z.string().refine((value) => splitDigest(value) !== undefined, 'not a digest'),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** Loose: unknown fields (`annotations`, `subject`, ...) are allowed and ignored. */
const layoutIndexSchema = z.looseObject({ manifests: z.array(entrySchema) });

export type LayoutEntry = z.infer<typeof entrySchema>;

export interface LayoutIndex {
  readonly entries: readonly LayoutEntry[];
}

function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

/** image-layout.md: `oci-layout` MUST be a JSON object with an `imageLayoutVersion`. */
export function checkLayoutMarker(bytes: Uint8Array, where: string): void {
  let parsed: unknown;
  try {
    parsed = parseJson(bytes);
  } catch (error) {
    throw new ClonerError('IC_ERR_ARCHIVE', `${where}: oci-layout is not JSON`, { cause: error });
  }
  const result = layoutMarkerSchema.safeParse(parsed);
  if (!result.success) {
    throw new ClonerError('IC_ERR_ARCHIVE', `${where}: oci-layout has no imageLayoutVersion`, { cause: result.error });
  }
  // Version 1.0.0 is the only one defined; a later 1.x stays readable by the
  // rules of semantic versioning, another major version may not be.
  const version = result.data.imageLayoutVersion;
  if (version.split('.')[0] !== IMAGE_LAYOUT_VERSION.split('.')[0]) {
    throw new ClonerError('IC_ERR_ARCHIVE', `${where}: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  }
}

export function parseLayoutIndex(bytes: Uint8Array, where: string): LayoutIndex {
  let parsed: unknown;
  try {
    parsed = parseJson(bytes);
  } catch (error) {
    throw new ClonerError('IC_ERR_BAD_MANIFEST', `${where}: index.json is not JSON`, { cause: error });
  }
  const result = layoutIndexSchema.safeParse(parsed);
  if (!result.success) {
    throw new ClonerError('IC_ERR_BAD_MANIFEST', `${where}: index.json is not an image index: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return { entries: result.data.manifests };
}

export function refNameOf(entry: LayoutEntry): string | undefined {
  return entry.annotations?.[REF_NAME_ANNOTATION];
}

export function listRefNames(index: LayoutIndex): string[] {
  return index.entries.map(refNameOf).filter((name): name is string => name !== undefined);
}

function describeRefNames(index: LayoutIndex): string {
  const names = listRefNames(index);
  return names.length === 0 ? 'it has no tagged image' : `tags present: ${names.join(', ')}`;
}

/**
 * The image `oci-archive:FILE:TAG` names: the entry whose ref.name is TAG
 * (the first one, as skopeo does, if a broken index repeats a name); with no
 * TAG, the layout's only entry.
 */
export function selectEntry(index: LayoutIndex, tag: string | undefined, where: string): LayoutEntry {
  if (tag !== undefined) {
    const found = index.entries.find((entry) => refNameOf(entry) === tag);
    if (found === undefined) {
      throw new ClonerError('IC_ERR_NOT_FOUND', `${where}: no image tagged ${JSON.stringify(tag)} (${describeRefNames(index)})`);
    }
    return found;
  }
  const [only, ...others] = index.entries;
  if (only === undefined) {
    throw new ClonerError('IC_ERR_NOT_FOUND', `${where}: index.json lists no image`);
  }
  if (others.length > 0) {
    throw new ClonerError(
      'IC_ERR_ARCHIVE',
      `${where}: holds ${index.entries.length} images, name one as oci-archive:FILE:TAG (${describeRefNames(index)})`,
    );
  }
  return only;
}

export interface IndexedManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/**
 * index.json naming one manifest. image-spec 1.1 index.json SHOULD carry
 * its own mediaType; readers of 1.0 layouts (skopeo 1.9) ignore the field.
 */
export function encodeLayoutIndex(manifest: IndexedManifest, tag: string | undefined): Uint8Array {
  const entry = {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    ...(tag === undefined ? {} : { annotations: { [REF_NAME_ANNOTATION]: tag } }),
  };
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry] }));
}

export function encodeLayoutMarker(): Uint8Array {
  return Buffer.from(JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }));
}
