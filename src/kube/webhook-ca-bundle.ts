/**
 * Keeps the caBundle of our MutatingWebhookConfiguration equal to the CA(s)
 * that sign our serving certificate: read, plan (ca-bundle-plan.ts), patch
 * only when something differs, and start over (a bounded number of times)
 * when another writer changed the configuration in between (409 Conflict, or
 * 422 Invalid from a failed `test` op).
 */
import { ClonerError } from '../core/errors.js';
import { planCaBundlePatch } from './ca-bundle-plan.js';
import type { ServiceRef } from './ca-bundle-plan.js';
import type { KubeApi } from './kube-client.js';
import { KubeError } from './kube-error.js';

export interface SyncCaBundleOptions {
  readonly kube: KubeApi;
  readonly configurationName: string;
  readonly service: ServiceRef;
  /** PEM: every CA the API server should trust for our Service. */
  readonly caBundlePem: string;
  readonly maxAttempts?: number;
}

export interface SyncCaBundleResult {
  readonly outcome: 'unchanged' | 'patched';
  /** Webhooks in the configuration that call our Service (0 is a misconfiguration worth a warning). */
  readonly matched: readonly string[];
  readonly patched: readonly string[];
}

export async function syncWebhookCaBundle(options: SyncCaBundleOptions): Promise<SyncCaBundleResult> {
  const caBundle = Buffer.from(options.caBundlePem, 'utf8').toString('base64');
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const configuration = await options.kube.getMutatingWebhookConfiguration(options.configurationName);
    const plan = planCaBundlePatch(configuration, options.service, caBundle);
    if (plan.ops.length === 0) return { outcome: 'unchanged', matched: plan.matched, patched: [] };
    try {
      await options.kube.patchMutatingWebhookConfiguration(options.configurationName, plan.ops);
      return { outcome: 'patched', matched: plan.matched, patched: plan.stale };
    } catch (error) {
      const raced = error instanceof KubeError && (error.code === 'IC_ERR_CONFLICT' || error.reason === 'Invalid');
      if (!raced) throw error;
      if (attempt >= maxAttempts) {
        throw new ClonerError(
          'IC_ERR_CONFLICT',
          `patching the caBundle of mutatingwebhookconfiguration "${options.configurationName}": ` +
            `it kept changing under us (${maxAttempts} attempts)`,
          { cause: error },
        );
      }
    }
  }
}
