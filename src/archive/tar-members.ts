/**
 * One pass over a tar that records where each regular file's bytes lie, so
 * that any member can later be read straight from the file at its offset
 * (O(member) instead of re-scanning the archive for each blob), while the
 * pass itself keeps nothing of the contents in memory.
 */
import type { FileHandle } from 'node:fs/promises';
import { extract } from 'tar-stream';
import { ClonerError } from '../core/errors.js';
import { createFileRangeStream } from './file-range-stream.js';
import { normalizeMemberName } from './layout-paths.js';

export interface MemberLocation {
  /** Byte offset of the member's content (after its header blocks) in the tar file. */
  readonly offset: number;
  readonly size: number;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const;

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((byte, i) => bytes[i] === byte);
}

/** A compressed archive fails tar parsing with a confusing checksum error; say what it is instead. */
async function checkNotCompressed(handle: FileHandle, where: string): Promise<void> {
  const head = Buffer.alloc(4);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  if (bytesRead === 0) {
    throw new ClonerError('IC_ERR_ARCHIVE', `${where}: empty file, not a tar archive`);
  }
  if (startsWith(head, GZIP_MAGIC) || startsWith(head, ZSTD_MAGIC)) {
    throw new ClonerError('IC_ERR_ARCHIVE', `${where}: compressed file; an oci-archive is an uncompressed tar`);
  }
}

/** A tar header is one 512-byte block (POSIX ustar); the content starts right after it. */
const TAR_BLOCK_BYTES = 512;

/**
 * Regular files by normalized name. tar-stream gives each entry the offset
 * of its own header block (after any pax or GNU long-name blocks, which it
 * folds into the header), so the content starts one block later. A later
 * member replaces an earlier one of the same name, as when tar extracts.
 */
export async function scanTarMembers(handle: FileHandle, where: string): Promise<Map<string, MemberLocation>> {
  await checkNotCompressed(handle, where);
  const members = new Map<string, MemberLocation>();
  const { size } = await handle.stat();
  const input = createFileRangeStream(handle, 0, size, where);
  const parser = extract();
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const entry of parser) {
      const { header } = entry;
      if (header.type === 'file' || header.type === 'contiguous-file') {
        members.set(normalizeMemberName(header.name), { offset: entry.offset + TAR_BLOCK_BYTES, size: header.size });
      }
      entry.resume();
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ClonerError('IC_ERR_ARCHIVE', `${where}: not a readable tar archive: ${reason}`, { cause: error });
  } finally {
    input.unpipe(parser);
    input.destroy();
  }
  return members;
}

/** Reads a small member whole (index.json, oci-layout, a manifest), refusing one over `limit` bytes. */
export async function readMember(
  handle: FileHandle,
  member: MemberLocation,
  limit: number,
  what: string,
): Promise<Buffer> {
  if (member.size > limit) {
    throw new ClonerError('IC_ERR_TOO_LARGE', `${what}: ${member.size} bytes, more than the ${limit} allowed`);
  }
  const bytes = Buffer.alloc(member.size);
  let filled = 0;
  while (filled < bytes.length) {
    const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, member.offset + filled);
    if (bytesRead === 0) {
      throw new ClonerError('IC_ERR_ARCHIVE', `${what}: archive ends inside this member (truncated or changed)`);
    }
    filled += bytesRead;
  }
  return bytes;
}
