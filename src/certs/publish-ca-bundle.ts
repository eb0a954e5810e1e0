/**
 * Makes the MutatingWebhookConfiguration trust our CA bundle (through
 * src/kube/webhook-ca-bundle.ts), logging what it did. A configuration that
 * does not exist yet (applied after the Deployment, or deleted) is not an
 * error: the periodic check sets it once it exists.
 */
import type { KubeApi } from '../kube/kube-client.js';
import { KubeError } from '../kube/kube-error.js';
import { syncWebhookCaBundle } from '../kube/webhook-ca-bundle.js';
import type { CertLogger } from './cert-logger.js';

export type CaBundleOutcome = 'patched' | 'unchanged' | 'configuration-missing';

export interface PublishOptions {
  readonly kube: KubeApi;
  readonly namespace: string;
  readonly serviceName: string;
  readonly webhookConfigurationName: string;
}

export async function publishCaBundle(
  options: PublishOptions,
  caBundlePem: string,
  logger: CertLogger,
): Promise<CaBundleOutcome> {
  const name = options.webhookConfigurationName;
  try {
    const result = await syncWebhookCaBundle({
      kube: options.kube,
      configurationName: name,
      service: { namespace: options.namespace, name: options.serviceName },
      caBundlePem,
    });
    if (result.matched.length === 0) {
      logger.warn('no webhook in the configuration calls our service; caBundle not set', {
        configuration: name,
        service: `${options.serviceName}.${options.namespace}`,
      });
    } else if (result.outcome === 'patched') {
      logger.info('webhook caBundle patched', { configuration: name, webhooks: result.patched });
    }
    return result.outcome;
  } catch (error) {
    if (!(error instanceof KubeError && error.code === 'IC_ERR_NOT_FOUND')) throw error;
    // Applied after our Deployment, or deleted: the periodic check patches it once it exists.
    logger.warn('webhook configuration not found; caBundle not set yet', { configuration: name });
    return 'configuration-missing';
  }
}
