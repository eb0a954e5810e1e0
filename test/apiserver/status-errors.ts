/**
 * The metav1.Status values kube-apiserver answers a rejected request with,
 * built as k8s.io/apimachinery `api/errors` builds them (NewInternalError,
 * NewForbidden, NewBadRequest, NewNotFound, NewTimeoutError), and a webhook
 * denial as src `errors/statuserror.go` ToStatusErr shapes it
 * (CLUSTER-NOTES 1.8).
 */
import type { ApiStatus, GroupVersionResource } from './types.js';

function status(code: number, reason: string, message: string, details?: unknown): ApiStatus {
  const base = { apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message } as const;
  return details === undefined ? base : { ...base, details };
}

/** `pods`, `deployments.apps`: schema.GroupResource.String(). */
export function qualifiedResource(resource: GroupVersionResource): string {
  return resource.group === '' ? resource.resource : `${resource.resource}.${resource.group}`;
}

export function internalError(message: string): ApiStatus {
  return status(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export function badRequest(message: string): ApiStatus {
  return status(400, 'BadRequest', message);
}

export function requestEntityTooLarge(limit: number): ApiStatus {
  return status(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

export function forbidden(resource: GroupVersionResource, name: string, message: string): ApiStatus {
  const who = name === '' ? qualifiedResource(resource) : `${qualifiedResource(resource)} "${name}"`;
  return status(403, 'Forbidden', `${who} is forbidden: ${message}`, {
    name,
    group: resource.group,
    kind: resource.resource,
  });
}

export function notFound(resource: GroupVersionResource, name: string): ApiStatus {
  return status(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`, {
    name,
    group: resource.group,
    kind: resource.resource,
  });
}

/** What the dispatcher returns when a failure was ignored after the request's own deadline (CLUSTER-NOTES 1.6). */
export function requestTimeout(): ApiStatus {
  return status(504, 'Timeout', 'Timeout: request did not complete within requested timeout', { retryAfterSeconds: 0 });
}

/** The `status` of a webhook's allowed:false answer, as much of it as was readable. */
export interface WebhookResultStatus {
  readonly code?: number | undefined;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
  readonly status?: string | undefined;
  readonly details?: unknown;
}

/**
 * errors/statuserror.go ToStatusErr: a code below 400 becomes 400 (one recent
 * revision defaults an unset code to 403 instead; tests assert >= 400), the
 * message is prefixed with who denied it.
 */
export function webhookDenied(webhook: string, result: WebhookResultStatus | undefined): ApiStatus {
  const deniedBy = `admission webhook "${webhook}" denied the request`;
  const code = result?.code === undefined || result.code < 400 ? 400 : result.code;
  let message = `${deniedBy} without explanation`;
  if (result?.message !== undefined && result.message !== '') message = `${deniedBy}: ${result.message}`;
  else if (result?.reason !== undefined && result.reason !== '') message = `${deniedBy}: ${result.reason}`;
  return status(code, result?.reason ?? '', message, result?.details);
}

export function dryRunUnsupported(webhook: string): ApiStatus {
  return badRequest(`admission webhook "${webhook}" does not support dry run`);
}
