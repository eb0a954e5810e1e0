/** How an archive location is shown in messages: the `oci-archive:FILE[:TAG]` the user typed. */
export function formatArchiveLabel(file: string, tag: string | undefined): string {
  return tag === undefined ? `oci-archive:${file}` : `oci-archive:${file}:${tag}`;
}
