/**
 * Keeps a running webhook's self-managed certificate fresh: checks again
 * every `intervalMs` (10 minutes) and at the renewal time, through
 * ensureServingCertificate (so whichever replica comes first renews, and
 * the others pick the new pair up from the Secret, and a caBundle that
 * someone reset is set again). A changed pair is handed to `onChange`
 * (`setServerTls`: new connections get it, open ones keep theirs). A failed
 * check is logged and tried again after `retryMs`; the timers never keep
 * the process alive.
 */
import { errorMessage } from './error-message.js';
import { SILENT_LOGGER } from './cert-logger.js';
import { ensureServingCertificate } from './ensure-serving-certificate.js';
import type { EnsureCertificateOptions, ServingCertificate } from './ensure-serving-certificate.js';

export interface RotationOptions extends EnsureCertificateOptions {
  /** What the server serves now (from the first ensureServingCertificate). */
  readonly initial: ServingCertificate;
  readonly onChange: (certificate: ServingCertificate) => void;
  readonly intervalMs?: number;
  readonly retryMs?: number;
}

export interface CertificateRotation {
  /** Runs one check now (after any running one); resolves with the pair in use. Never rejects. */
  checkNow(): Promise<ServingCertificate>;
  stop(): void;
}

export const ROTATION_CHECK_MS = 10 * 60_000;
export const ROTATION_RETRY_MS = 60_000;
/** After the renewal time, so that the check sees the certificate as due. */
const RENEWAL_SLACK_MS = 5_000;

export function startCertificateRotation(options: RotationOptions): CertificateRotation {
  const logger = options.logger ?? SILENT_LOGGER;
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? ROTATION_CHECK_MS;
  const retryMs = options.retryMs ?? ROTATION_RETRY_MS;
  let current = options.initial;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let queue: Promise<ServingCertificate> = Promise.resolve(current);

  const schedule = (delayMs: number): void => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => void checkNow(), Math.max(1_000, delayMs));
    timer.unref();
  };

  const checkOnce = async (): Promise<ServingCertificate> => {
    try {
      const next = await ensureServingCertificate(options);
      if (next.certPem !== current.certPem || next.keyPem !== current.keyPem) {
        options.onChange(next);
        logger.info('serving certificate replaced', { serial: next.serialNumber, notAfter: new Date(next.notAfter).toISOString() });
      }
      current = next;
      schedule(Math.min(intervalMs, next.renewAt - now() + RENEWAL_SLACK_MS));
    } catch (error) {
      logger.warn('certificate check failed; serving the current certificate', {
        error: errorMessage(error),
        retryInMs: retryMs,
      });
      schedule(retryMs);
    }
    return current;
  };

  const checkNow = (): Promise<ServingCertificate> => {
    const run = queue.then(checkOnce);
    queue = run;
    return run;
  };

  schedule(Math.min(intervalMs, current.renewAt - now() + RENEWAL_SLACK_MS));
  return {
    checkNow,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
