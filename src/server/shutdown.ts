/**
 * Graceful stop on SIGTERM (what the kubelet sends first) or SIGINT:
 *
 *   1. /readyz answers 503, so the endpoint leaves the Service;
 *   2. the server stops accepting connections; in-flight admissions finish
 *      (each is bounded by its copy deadline), idle keep-alive connections
 *      are closed and busy ones close after their answer;
 *   3. background copies get what is left of the grace period
 *      (SHUTDOWN_GRACE_SECONDS, below the Pod's terminationGracePeriodSeconds,
 *      30 s by default, after which the kubelet sends SIGKILL);
 *   4. cleanup (registry connections, file watches), then exit status 0.
 *
 * A second signal stops waiting: exit status 1 at once.
 */
import type { Server } from 'node:https';
import type { ImageMirror } from '../mirror/image-mirror.js';
import { errorFields } from './logger.js';
import type { Logger } from './logger.js';
import type { Readiness } from './readiness.js';

export type StopSignal = 'SIGTERM' | 'SIGINT';

export interface SignalSource {
  on(signal: StopSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: StopSignal, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownOptions {
  readonly server: Server;
  readonly readiness: Readiness;
  readonly mirror: Pick<ImageMirror, 'drain' | 'inFlight'>;
  readonly graceMs: number;
  readonly logger: Logger;
  readonly signals: SignalSource;
  /** Releases what the process still holds (registry connections, watches); must not throw. */
  readonly cleanup?: () => Promise<void>;
  readonly now?: () => number;
}

export interface Shutdown {
  /** Resolves with the exit status once the process may exit. */
  readonly done: Promise<number>;
  /** Starts the stop sequence (as a signal does). */
  begin(reason: string): void;
}

export function installShutdown(options: ShutdownOptions): Shutdown {
  const { server, readiness, mirror, logger } = options;
  const now = options.now ?? Date.now;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let started = false;

  const stop = async (reason: string): Promise<number> => {
    const deadline = now() + options.graceMs;
    readiness.markShuttingDown();
    logger.info('shutting down', { reason, graceMs: options.graceMs, copiesInFlight: mirror.inFlight });
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (!(await within(closed, deadline - now()))) {
      logger.warn('connections still open at the end of the grace period; closing them');
      server.closeAllConnections();
    }
    const drained = await mirror.drain(Math.max(0, deadline - now()));
    if (!drained) {
      logger.warn('background copies abandoned at the end of the grace period', { copies: mirror.inFlight });
    }
    try {
      await options.cleanup?.();
    } catch (error) {
      logger.warn('cleanup failed', errorFields(error));
    }
    logger.info('stopped', { drained });
    return 0;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) {
      logger.warn('second signal; exiting now', { signal });
      finish(1);
      return;
    }
    begin(signal);
  };
  const finish = (code: number): void => {
    options.signals.off('SIGTERM', onSignal);
    options.signals.off('SIGINT', onSignal);
    resolveDone(code);
  };
  const begin = (reason: string): void => {
    if (started) return;
    started = true;
    stop(reason).then(finish, (error: unknown) => {
      logger.error('shutdown failed', errorFields(error));
      finish(1);
    });
  };

  options.signals.on('SIGTERM', onSignal);
  options.signals.on('SIGINT', onSignal);
  return { done, begin };
}

/** True when `promise` settles within `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
