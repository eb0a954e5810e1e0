/**
 * The per-admission credential lookup (PULL_SECRETS_LOOKUP): the object's
 * pull secret names, resolved by the PullCredentialSource, waited for at
 * most until the admission's deadline. Past it the copies go on without
 * workload credentials (REGISTRY_AUTH_FILE's only); the reads still finish
 * and fill the source's cache, and a failure without credentials is
 * remembered apart from one with them (mirror-service.ts), so the next
 * admission is not held back by it.
 */
import type { AdmissionRequest } from '../core/admission-review.js';
import type { CredentialLookup, PullCredentialSource } from '../mirror/pull-credentials.js';
import type { Logger } from './logger.js';
import { readPullSecretNames } from './pull-secret-names.js';

export async function lookupPullCredentials(
  source: PullCredentialSource,
  request: AdmissionRequest,
  deadline: number,
  logger: Logger,
  now: () => number = Date.now,
): Promise<CredentialLookup | undefined> {
  const workload = readPullSecretNames(request);
  if (workload === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - now()));
  });
  try {
    // credentialsFor never rejects (its contract); the catch guards against a bug turning into an error answer.
    const lookup = await Promise.race([source.credentialsFor(workload).catch(() => undefined), late]);
    if (lookup === undefined) {
      logger.warn('pull credentials late', { uid: request.uid, namespace: workload.namespace });
    }
    return lookup;
  } finally {
    clearTimeout(timer);
  }
}
