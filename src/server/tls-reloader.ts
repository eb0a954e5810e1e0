/**
 * Serving certificate rotation without a restart (cert-manager, or our own
 * Secret being updated): the certificate and key files are re-read when they
 * change, and a valid new pair is handed to `apply` (server.setSecureContext):
 * new connections get it, established ones keep theirs and are not dropped.
 *
 * Kubernetes updates a Secret volume by writing a new timestamped directory
 * and swapping the `..data` symlink, so the files' own inodes never change
 * and a watch on the file would miss it. The directory is watched instead,
 * any event re-reads both files (debounced: one swap is several events), and
 * a poll every POLL_MS catches what a watch misses (some volume types send no
 * events). A pair that does not load (half-written, key not matching the
 * certificate) is logged and the old one kept.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ClonerError } from '../core/errors.js';
import { errorFields } from './logger.js';
import type { Logger } from './logger.js';

export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

export const POLL_MS = 60_000;
const DEBOUNCE_MS = 200;

/** Reads and checks a pair: both PEM, the key matching the certificate. Throws IC_ERR_TLS. */
export async function loadTlsPair(certFile: string, keyFile: string): Promise<TlsPair> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ClonerError('IC_ERR_TLS', `TLS_CERT_FILE/TLS_KEY_FILE: cannot read (${reason})`, { cause: error });
  }
  try {
    // Throws on a bad PEM and on a key that does not match the certificate.
    createSecureContext({ cert, key });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ClonerError('IC_ERR_TLS', `TLS pair ${certFile} + ${keyFile} does not load: ${reason}`, { cause: error });
  }
  return { cert, key };
}

/** Log fields that identify a certificate (never the key). */
export function describeCertificate(pem: string): Record<string, unknown> {
  try {
    const certificate = new X509Certificate(pem);
    return { serial: certificate.serialNumber, notAfter: certificate.validTo, names: certificate.subjectAltName };
  } catch {
    return {};
  }
}

export interface TlsReloaderOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** The pair the server started with. */
  readonly initial: TlsPair;
  readonly apply: (pair: TlsPair) => void;
  readonly logger: Logger;
  readonly pollMs?: number;
  readonly debounceMs?: number;
}

export type ReloadResult = 'changed' | 'unchanged' | 'rejected';

export class TlsReloader {
  readonly #options: TlsReloaderOptions;
  #current: TlsPair;
  #watchers: FSWatcher[] = [];
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  /** Reloads run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: TlsReloaderOptions) {
    this.#options = options;
    this.#current = options.initial;
  }

  start(): void {
    for (const dir of new Set([dirname(this.#options.certFile), dirname(this.#options.keyFile)])) {
      try {
        // Not persistent: the watch alone must not keep the process alive.
        const watcher = watch(dir, { persistent: false }, () => this.#schedule());
        watcher.on('error', (error) => {
          this.#options.logger.warn('tls watch failed; polling only', { dir, ...errorFields(error) });
          watcher.close();
        });
        this.#watchers.push(watcher);
      } catch (error) {
        this.#options.logger.warn('tls watch failed; polling only', { dir, ...errorFields(error) });
      }
    }
    this.#poll = setInterval(() => void this.reload(), this.#options.pollMs ?? POLL_MS);
    this.#poll.unref();
  }

  stop(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
  }

  /** Re-reads both files now; resolves with what happened (never rejects). */
  reload(): Promise<ReloadResult> {
    const run = this.#queue.then(() => this.#reloadOnce());
    this.#queue = run;
    return run;
  }

  #schedule(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.reload(), this.#options.debounceMs ?? DEBOUNCE_MS);
    this.#debounce.unref();
  }

  async #reloadOnce(): Promise<ReloadResult> {
    const { certFile, keyFile, logger } = this.#options;
    let pair: TlsPair;
    try {
      pair = await loadTlsPair(certFile, keyFile);
    } catch (error) {
      logger.warn('tls reload rejected; keeping the current certificate', errorFields(error));
      return 'rejected';
    }
    if (pair.cert === this.#current.cert && pair.key === this.#current.key) return 'unchanged';
    try {
      this.#options.apply(pair);
    } catch (error) {
      logger.warn('tls reload rejected; keeping the current certificate', errorFields(error));
      return 'rejected';
    }
    this.#current = pair;
    logger.info('tls reloaded', describeCertificate(pair.cert));
    return 'changed';
  }
}
