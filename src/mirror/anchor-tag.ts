/**
 * The tag that keeps a digest-only copy alive. Registry garbage collection
 * (distribution `registry garbage-collect`, and the untagged-manifest
 * retention policies of hosted registries) deletes manifests no tag names,
 * so a copy pushed by digest alone could vanish while pods still pin it
 * (DESIGN: "Digest-only copies get an anchor tag").
 *
 * Why `mirror-sha256-<hex>` and not the obvious `sha256-<hex>`: the OCI
 * distribution spec v1.1 ("Referrers Tag Schema") reserves `<alg>-<ref>`
 * tags for the referrers fallback; clients such as oras and cosign read and
 * rewrite an index under that tag as the list of artifacts referring to
 * digest `<alg>:<ref>`. Our image under such a tag would be misread as a
 * referrers index, and overwritten by the next signature push. The prefix
 * keeps our anchors out of that namespace.
 */

/** distribution/reference `tag`: `[\w][\w.-]{0,127}`. */
const MAX_TAG_LENGTH = 128;
const ANCHOR_PREFIX = 'mirror-';

/**
 * `sha256:<hex>` -> `mirror-sha256-<hex>`. Characters a digest algorithm may
 * hold but a tag may not (`+`, `:`) become `-`. Only a sha512 digest
 * (128 hex) exceeds the tag limit; its first 114 hex characters still name
 * it for all practical purposes.
 */
export function anchorTagFor(digest: string): string {
  return (ANCHOR_PREFIX + digest.replace(/[^\w.-]/g, '-')).slice(0, MAX_TAG_LENGTH);
}
