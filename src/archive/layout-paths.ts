/**
 * Names inside an OCI image layout (image-spec `image-layout.md`) and the
 * digest grammar that blob paths are built from (image-spec `descriptor.md`,
 * "Digests").
 */
import { ClonerError } from '../core/errors.js';

/** image-layout.md "oci-layout file": marks the directory as a layout and gives its version. */
export const OCI_LAYOUT_FILE = 'oci-layout';
/** image-layout.md "index.json file": the entry point, an image index. */
export const INDEX_FILE = 'index.json';
/** image-layout.md "Blobs": `blobs/<alg>/<encoded>`. */
export const BLOBS_DIR = 'blobs';
/** The only version image-layout.md defines. */
export const IMAGE_LAYOUT_VERSION = '1.0.0';
/** annotations.md: the name of a reference in a layout's index.json ("the tag"). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/**
 * descriptor.md digest grammar. Its character classes hold no `/` and no
 * `..`, so a digest that matches can be joined into a path without escaping
 * the `blobs` directory.
 */
const DIGEST_GRAMMAR = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export interface DigestParts {
  readonly algorithm: string;
  readonly encoded: string;
}

export function splitDigest(digest: string): DigestParts | undefined {
  const match = DIGEST_GRAMMAR.exec(digest);
  const algorithm = match?.[1];
  const encoded = match?.[2];
  return algorithm === undefined || encoded === undefined ? undefined : { algorithm, encoded };
}

export function blobPathOf(digest: string): string {
  const parts = splitDigest(digest);
  if (parts === undefined) {
    throw new ClonerError('IC_ERR_BAD_DIGEST', `invalid digest ${JSON.stringify(digest)}: expected <algorithm>:<encoded>`);
  }
  return `${BLOBS_DIR}/${parts.algorithm}/${parts.encoded}`;
}

/** The digest a `blobs/<alg>/<encoded>` path stores, or undefined for any other path. */
export function digestOfBlobPath(path: string): string | undefined {
  const segments = path.split('/');
  if (segments.length !== 3 || segments[0] !== BLOBS_DIR) return undefined;
  const digest = `${segments[1] ?? ''}:${segments[2] ?? ''}`;
  return splitDigest(digest) === undefined ? undefined : digest;
}

/**
 * Tar member names as tools write them: GNU tar run as `tar -C dir -cf x .`
 * writes `./index.json`, some write `/index.json` or doubled slashes. The
 * layout itself names files relative to its root, so those spellings are
 * folded onto `index.json`.
 */
export function normalizeMemberName(name: string): string {
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  return segments.join('/');
}
