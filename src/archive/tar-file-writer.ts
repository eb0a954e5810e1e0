/**
 * A tar written entry by entry into an open file with tar-stream's `pack`,
 * with backpressure all the way from an entry's body to the disk: a body is
 * streamed in, never held whole. Entries are reproducible (fixed owner, mode
 * and time), so the same image written in the same order gives the same
 * bytes.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';

/** tar-stream's entry sink: a streamx Writable, not a node one. */
type EntrySink = ReturnType<Pack['entry']>;
type EntryHeader = Parameters<Pack['entry']>[0];

const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;
/** The epoch, as reproducible-build tools use (SOURCE_DATE_EPOCH=0); GNU tar and skopeo extract it without complaint. */
const ENTRY_TIME = new Date(0);

function headerFor(name: string, type: 'file' | 'directory', size: number): EntryHeader {
  return {
    name,
    type,
    size,
    mode: type === 'file' ? FILE_MODE : DIRECTORY_MODE,
    uid: 0,
    gid: 0,
    mtime: ENTRY_TIME,
  };
}

function noop(): void {}

/** The entry callback fires once the entry is complete in the tar, or failed. */
function openEntry(tar: Pack, header: EntryHeader): { entry: EntrySink; done: Promise<void> } {
  let settle: (error?: unknown) => void = noop;
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  // Observed by whoever awaits `done`; the no-op keeps an early failure from
  // becoming an unhandled rejection before anyone does.
  done.catch(noop);
  const entry = tar.entry(header, (error) => settle(error));
  // Errors also arrive through the callback; without a listener an entry's
  // 'error' event would be thrown.
  entry.on('error', noop);
  return { entry, done };
}

function drained(entry: EntrySink): Promise<void> {
  if (entry.destroyed) return Promise.reject(new Error('tar entry destroyed while writing'));
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('tar entry closed while writing'));
    };
    const cleanup = (): void => {
      entry.off('drain', onDrain);
      entry.off('close', onClose);
    };
    entry.on('drain', onDrain);
    entry.on('close', onClose);
  });
}

export class TarFileWriter {
  readonly #tar: Pack = pack();
  /** Settles when the tar is fully on disk (flushed, handle closed), or failed. */
  readonly output: Promise<void>;

  constructor(handle: FileHandle) {
    this.#tar.on('error', noop);
    // flush: fsync before the handle closes, so a rename that follows
    // publishes complete content even across a crash.
    const file = handle.createWriteStream({ flush: true });
    this.output = pipeline(Readable.from(this.#tar, { objectMode: false }), file);
    this.output.catch(noop);
  }

  async writeDirectory(name: string): Promise<void> {
    const { entry, done } = openEntry(this.#tar, headerFor(name, 'directory', 0));
    entry.end(null);
    await done;
  }

  async writeBytes(name: string, bytes: Uint8Array): Promise<void> {
    const { entry, done } = openEntry(this.#tar, headerFor(name, 'file', bytes.byteLength));
    entry.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    await done;
  }

  /**
   * Streams `size` bytes into one entry. The header is already out when the
   * body fails, so a failure here leaves the tar unusable: it destroys the
   * whole writer before rethrowing.
   */
  async writeStream(name: string, size: number, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const { entry, done } = openEntry(this.#tar, headerFor(name, 'file', size));
    try {
      for await (const chunk of chunks) {
        if (!entry.write(chunk)) await drained(entry);
      }
      entry.end(null);
      await done;
    } catch (error) {
      this.destroy(error);
      throw error;
    }
  }

  /** Ends the tar (two zero blocks) and waits until it is on disk. */
  async finish(): Promise<void> {
    this.#tar.finalize();
    await this.output;
  }

  destroy(error: unknown): void {
    this.#tar.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
