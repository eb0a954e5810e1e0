/**
 * A byte range of an open file as a Readable, by positioned reads on a
 * handle that the stream does not own. Node's own `FileHandle` streams close
 * the handle when destroyed, even with `autoClose: false`; a source shares
 * one handle among all its blob reads, so a reader that gives up early (the
 * engine aborting one blob) must not close it for the others.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ClonerError } from '../core/errors.js';

/** A few hundred KiB per read keeps syscalls few and memory per stream small. */
const DEFAULT_CHUNK_BYTES = 256 * 1024;

export function createFileRangeStream(
  handle: FileHandle,
  start: number,
  length: number,
  what: string,
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
): Readable {
  const end = start + length;
  let position = start;
  return new Readable({
    highWaterMark: chunkBytes,
    read() {
      const want = Math.min(chunkBytes, end - position);
      if (want <= 0) {
        this.push(null);
        return;
      }
      const buffer = Buffer.allocUnsafe(want);
      handle.read(buffer, 0, want, position).then(
        ({ bytesRead }) => {
          if (this.destroyed) return;
          if (bytesRead === 0) {
            this.destroy(new ClonerError('IC_ERR_ARCHIVE', `${what}: file ends early (truncated or changed since opened)`));
            return;
          }
          position += bytesRead;
          this.push(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
        },
        (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
}
