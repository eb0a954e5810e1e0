/**
 * The media type of a manifest read from a layout, where no Content-Type
 * header tells it. Only the fields needed here are parsed; the bytes are
 * served unchanged.
 */
import { z } from 'zod';
import { ClonerError } from '../core/errors.js';
import { OCI_INDEX, OCI_MANIFEST } from '../core/media-types.js';

const manifestShapeSchema = z.looseObject({
  mediaType: z.string().optional(),
  manifests: z.array(z.unknown()).optional(),
  config: z.unknown().optional(),
});

const childSchema = z.looseObject({ mediaType: z.string(), digest: z.string() });

export interface ManifestShape {
  /** The media type the manifest declares, or the one its descriptor gave, or its shape implies. */
  readonly mediaType: string;
  /** Children of an index: digest -> media type, for reading them by digest later. */
  readonly children: ReadonlyMap<string, string>;
}

/**
 * image-spec `manifest.md` and `image-index.md`: the `mediaType` property
 * SHOULD be set (it was optional before 1.0.2). When absent, the descriptor
 * that pointed at the manifest decides; failing that, the shape does
 * (`manifests` makes an index, `config` an image manifest).
 */
export function inspectManifest(bytes: Uint8Array, descriptorMediaType: string | undefined, what: string): ManifestShape {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ClonerError('IC_ERR_BAD_MANIFEST', `${what}: not JSON`, { cause: error });
  }
  const result = manifestShapeSchema.safeParse(parsed);
  if (!result.success) {
    throw new ClonerError('IC_ERR_BAD_MANIFEST', `${what}: not a manifest: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  const shape = result.data;
  const children = new Map<string, string>();
  for (const child of shape.manifests ?? []) {
    const parsedChild = childSchema.safeParse(child);
    if (parsedChild.success) children.set(parsedChild.data.digest, parsedChild.data.mediaType);
  }
  const guessed = shape.manifests !== undefined ? OCI_INDEX : shape.config !== undefined ? OCI_MANIFEST : undefined;
  const mediaType = shape.mediaType ?? descriptorMediaType ?? guessed;
  if (mediaType === undefined) {
    throw new ClonerError('IC_ERR_BAD_MANIFEST', `${what}: no mediaType, and nothing tells what kind of manifest it is`);
  }
  return { mediaType, children };
}
