/**
 * The service account token, re-read from its file: a projected token
 * (the default since Kubernetes 1.21) is rotated by the kubelet while the
 * Pod runs, and the old one stops working when it expires. Like client-go,
 * the file is read again when the cached copy is older than `refreshMs` (one
 * minute), and at once after the API server answered 401 (`invalidate`).
 *
 * The token never leaves this object except as the Authorization header; no
 * message or error contains it.
 */
import { readFile as readFileFromDisk } from 'node:fs/promises';
import { ClonerError } from '../core/errors.js';

export interface TokenSource {
  /** The current bearer token (read from the file when due). */
  token(): Promise<string>;
  /** Forgets the cached token: the next `token()` reads the file again. */
  invalidate(): void;
}

export interface FileTokenSourceOptions {
  readonly file: string;
  readonly refreshMs?: number;
  readonly now?: () => number;
  readonly readFile?: (file: string) => Promise<string>;
}

export const TOKEN_REFRESH_MS = 60_000;
/** Far above any real token (a few KiB): a wrong path to a large file must not be sent as a header. */
const MAX_TOKEN_BYTES = 64 * 1024;

export class FileTokenSource implements TokenSource {
  readonly #file: string;
  readonly #refreshMs: number;
  readonly #now: () => number;
  readonly #readFile: (file: string) => Promise<string>;
  #cached: { readonly token: string; readonly readAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(options: FileTokenSourceOptions) {
    this.#file = options.file;
    this.#refreshMs = options.refreshMs ?? TOKEN_REFRESH_MS;
    this.#now = options.now ?? Date.now;
    this.#readFile = options.readFile ?? ((file) => readFileFromDisk(file, 'utf8'));
  }

  token(): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && this.#now() - cached.readAt < this.#refreshMs) return Promise.resolve(cached.token);
    // Concurrent callers share one read.
    this.#pending ??= this.#read().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  invalidate(): void {
    this.#cached = undefined;
  }

  async #read(): Promise<string> {
    let text: string;
    try {
      text = await this.#readFile(this.#file);
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      throw new ClonerError('IC_ERR_KUBE', `reading the service account token ${this.#file}: ${reason}`, { cause: error });
    }
    const token = text.trim();
    if (token === '' || token.length > MAX_TOKEN_BYTES || /\s/.test(token)) {
      // Says what is wrong with the file, never what is in it.
      throw new ClonerError('IC_ERR_KUBE', `the service account token file ${this.#file} does not hold one token`);
    }
    this.#cached = { token, readAt: this.#now() };
    return token;
  }
}
