/**
 * Which webhooks of a MutatingWebhookConfiguration need our CA bundle, as an
 * RFC 6902 patch: every webhook whose `clientConfig.service` is our Service
 * (name and namespace) and whose `caBundle` differs. Pure.
 *
 * The patch guards itself: a `test` op on each webhook's name and service
 * (so an index still means the webhook we looked at) and the
 * resourceVersion we read (the API server then applies it only to that
 * version: a concurrent change answers 409 Conflict, a moved webhook 422,
 * and the caller reads again). `add` sets a member whether or not it exists
 * (RFC 6902 section 4.1).
 */
import { formatPointer } from '../core/json-patch.js';
import type { PatchOp } from '../core/json-patch.js';
import type { MutatingWebhookConfiguration } from './kube-schemas.js';

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

export interface CaBundlePlan {
  /** Webhooks that call our Service. */
  readonly matched: readonly string[];
  /** Of those, the ones whose caBundle differs. */
  readonly stale: readonly string[];
  /** Empty when nothing needs to change. */
  readonly ops: readonly PatchOp[];
}

export function planCaBundlePatch(
  configuration: MutatingWebhookConfiguration,
  service: ServiceRef,
  caBundleBase64: string,
): CaBundlePlan {
  const matched: string[] = [];
  const stale: string[] = [];
  const ops: PatchOp[] = [];
  (configuration.webhooks ?? []).forEach((webhook, index) => {
    const ref = webhook.clientConfig.service;
    if (ref === undefined || ref.name !== service.name || ref.namespace !== service.namespace) return;
    matched.push(webhook.name);
    if (webhook.clientConfig.caBundle === caBundleBase64) return;
    stale.push(webhook.name);
    ops.push(
      { op: 'test', path: formatPointer(['webhooks', index, 'name']), value: webhook.name },
      { op: 'test', path: formatPointer(['webhooks', index, 'clientConfig', 'service', 'name']), value: ref.name },
      { op: 'test', path: formatPointer(['webhooks', index, 'clientConfig', 'service', 'namespace']), value: ref.namespace },
      { op: 'add', path: formatPointer(['webhooks', index, 'clientConfig', 'caBundle']), value: caBundleBase64 },
    );
  });
  const version = configuration.metadata.resourceVersion;
  if (ops.length > 0 && version !== undefined) {
    ops.unshift({ op: 'replace', path: '/metadata/resourceVersion', value: version });
  }
  return { matched, stale, ops };
}
