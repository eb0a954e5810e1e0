/**
 * One call of one mutating webhook (CLUSTER-NOTES 1.6-1.10; src
 * `mutating/dispatcher.go` callAttrMutatingHook): the dry-run check, the
 * AdmissionReview with a fresh uid, the POST bounded by timeoutSeconds and
 * the request's deadline, the response checks, audit annotations and
 * warnings, then a denial or the JSON patch applied to the object. The
 * result says which of the dispatcher's three paths applies: go on, a call
 * error (failurePolicy decides), or a rejection whatever the policy.
 */
import { buildAdmissionReview } from './admission-review-request.js';
import { verifyAdmissionResponse } from './admission-review-response.js';
import type { ReviewVersion } from './admission-review-response.js';
import { applyWebhookPatch } from './apply-webhook-patch.js';
import type { AuditAnnotations } from './audit-annotations.js';
import { applyDefaults } from './defaulting.js';
import { convertObject } from './equivalent-resources.js';
import { semanticEqual } from './json-equal.js';
import type { HookEntry, Invocation, RequestAttributes } from './request-attributes.js';
import { dryRunUnsupported, webhookDenied } from './status-errors.js';
import type { ApiStatus, GroupVersionKind } from './types.js';
import { describeUnexpectedStatus } from './unexpected-status.js';
import type { WarningRecorder } from './warning-recorder.js';
import { postToWebhook, WebhookCallError } from './webhook-client.js';
import { resolveWebhookTarget } from './webhook-target.js';
import type { ServiceResolver, UrlHostResolver } from './webhook-target.js';

export interface CallEnvironment {
  readonly now: () => number;
  readonly newUid: () => string;
  /** The API request's own deadline (epoch ms); it bounds every call. */
  readonly deadline: number;
  readonly resolveService: ServiceResolver;
  readonly resolveUrlHost: UrlHostResolver | undefined;
  readonly annotations: AuditAnnotations;
  readonly warnings: WarningRecorder;
}

export interface CallInput {
  readonly round: 0 | 1;
  readonly hook: HookEntry;
  readonly invocation: Invocation;
  readonly attributes: RequestAttributes;
  /** The current object in the request's version; null on DELETE and CONNECT. */
  readonly object: unknown;
}

interface Sent {
  readonly uid: string;
  readonly url: string;
}

export type CallResult =
  | (Sent & { readonly kind: 'ok'; readonly object: unknown; readonly changed: boolean })
  | (Sent & { readonly kind: 'call-error'; readonly message: string })
  | (Sent & { readonly kind: 'reject'; readonly status: ApiStatus; readonly outcome: 'denied' | 'patch-error' | 'dry-run-unsupported' });

const KNOWN_REVIEW_VERSIONS: readonly ReviewVersion[] = ['v1', 'v1beta1'];

function sameKind(a: GroupVersionKind, b: GroupVersionKind): boolean {
  return a.group === b.group && a.version === b.version && a.kind === b.kind;
}

export async function callWebhook(input: CallInput, env: CallEnvironment): Promise<CallResult> {
  const { hook, round } = input;
  let changed = false;
  try {
    return await call(input, env, (value) => (changed = value));
  } finally {
    // Upstream defers this annotation, so every attempt (even a refused dry run) leaves one.
    env.annotations.add(
      `mutation.webhook.admission.k8s.io/round_${round}_index_${hook.index}`,
      JSON.stringify({ configuration: hook.configuration, webhook: hook.webhook.name, mutated: changed }),
    );
  }
}

async function call(input: CallInput, env: CallEnvironment, setChanged: (changed: boolean) => void): Promise<CallResult> {
  const { hook, invocation, attributes } = input;
  const webhook = hook.webhook;
  const notSent: Sent = { uid: '', url: '' };
  const callError = (sent: Sent, message: string): CallResult => ({ ...sent, kind: 'call-error', message });

  if (attributes.dryRun && webhook.sideEffects !== 'None' && webhook.sideEffects !== 'NoneOnDryRun') {
    return { ...notSent, kind: 'reject', status: dryRunUnsupported(webhook.name), outcome: 'dry-run-unsupported' };
  }
  const version = webhook.admissionReviewVersions.find((v): v is ReviewVersion => KNOWN_REVIEW_VERSIONS.some((k) => k === v));
  if (version === undefined) return callError(notSent, 'could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)');

  const converted = !sameKind(invocation.kind, attributes.kind);
  const object = converted ? convertObject(input.object, invocation.kind) : input.object;
  const oldObject = converted ? convertObject(attributes.oldObject, invocation.kind) : attributes.oldObject;
  const uid = env.newUid();
  const review = buildAdmissionReview({
    version,
    uid,
    kind: invocation.kind,
    resource: invocation.resource,
    subResource: invocation.subResource,
    requestKind: attributes.kind,
    requestResource: attributes.resource,
    requestSubResource: attributes.subResource,
    name: attributes.name,
    namespace: attributes.namespace,
    operation: attributes.operation,
    userInfo: attributes.userInfo,
    object,
    oldObject,
    dryRun: attributes.dryRun,
    options: attributes.options,
  });

  // context.WithTimeout(timeoutSeconds) under the request's deadline; ?timeout= is the time left, rounded up.
  const remainingMs = Math.min(webhook.timeoutSeconds * 1000, env.deadline - env.now());
  let target;
  try {
    target = resolveWebhookTarget(webhook.clientConfig, remainingMs > 0 ? Math.ceil(remainingMs / 1000) : undefined, env.resolveService, env.resolveUrlHost);
  } catch (error) {
    return callError({ uid, url: '' }, error instanceof Error ? error.message : String(error));
  }
  const sent: Sent = { uid, url: target.url };
  let response;
  try {
    response = await postToWebhook(target, JSON.stringify(review), remainingMs);
  } catch (error) {
    if (error instanceof WebhookCallError) return callError(sent, `failed to call webhook: ${error.message}`);
    throw error;
  }
  if (response.status < 200 || response.status > 206) {
    return callError(sent, `failed to call webhook: ${describeUnexpectedStatus(response.status, response.body, response.contentType)}`);
  }
  const checked = verifyAdmissionResponse(response.body, uid, version);
  if (!checked.ok) {
    return callError(sent, checked.stage === 'decode' ? `failed to call webhook: ${checked.message}` : `received invalid webhook response: ${checked.message}`);
  }
  const result = checked.response;
  for (const [key, value] of Object.entries(result.auditAnnotations)) env.annotations.add(`${webhook.name}/${key}`, value);
  for (const warning of result.warnings) env.warnings.add(warning);
  if (!result.allowed) return { ...sent, kind: 'reject', status: webhookDenied(webhook.name, result.result), outcome: 'denied' };

  const patch = applyWebhookPatch(webhook.name, result.patch, result.patchType, object);
  switch (patch.kind) {
    case 'unchanged':
      return { ...sent, kind: 'ok', object: input.object, changed: false };
    case 'call-error':
      return callError(sent, patch.message);
    case 'reject':
      return { ...sent, kind: 'reject', status: patch.status, outcome: 'patch-error' };
    case 'patched':
      break;
  }
  const changed = !semanticEqual(object, patch.object);
  setChanged(changed);
  env.annotations.add(
    `patch.webhook.admission.k8s.io/round_${input.round}_index_${hook.index}`,
    JSON.stringify({ configuration: hook.configuration, webhook: webhook.name, patch: patch.ops, patchType: 'JSONPatch' }),
  );
  const back = converted ? convertObject(patch.object, attributes.kind) : patch.object;
  return { ...sent, kind: 'ok', object: applyDefaults(back, attributes.kind), changed };
}
