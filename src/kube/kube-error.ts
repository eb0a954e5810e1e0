/**
 * Errors from Kubernetes API calls: the HTTP status, the metav1.Status
 * `reason` (NotFound, AlreadyExists, Conflict, Forbidden, Invalid...) and the
 * operation that failed, with a stable ClonerError code to branch on. A 403
 * names the exact RBAC rule the service account is missing.
 */
import { ClonerError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import type { Status } from './kube-schemas.js';

export type KubeVerb = 'get' | 'create' | 'update' | 'patch';

/** What a request does, in RBAC terms (verb, API group, resource, namespace, name). */
export interface KubeOperation {
  readonly verb: KubeVerb;
  /** "" is the core group. */
  readonly apiGroup: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

export class KubeError extends ClonerError {
  readonly status: number | undefined;
  /** metav1.Status reason, when the server sent one. */
  readonly reason: string | undefined;
  readonly operation: KubeOperation;

  constructor(
    code: ErrorCode,
    message: string,
    details: { operation: KubeOperation; status?: number; reason?: string; temporary?: boolean; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause, temporary: details.temporary ?? false });
    this.name = 'KubeError';
    this.status = details.status;
    this.reason = details.reason;
    this.operation = details.operation;
  }
}

/** `get secrets "image-cloner-tls" in namespace "image-cloner"`. */
export function describeOperation(op: KubeOperation): string {
  const group = op.apiGroup === '' ? '' : `.${op.apiGroup}`;
  const name = op.name === undefined ? '' : ` "${op.name}"`;
  const where = op.namespace === undefined ? '' : ` in namespace "${op.namespace}"`;
  return `${op.verb} ${op.resource}${group}${name}${where}`;
}

/** The RBAC rule that allows `op`: what to add to the Role or ClusterRole. */
export function describeMissingPermission(op: KubeOperation): string {
  const scope = op.namespace === undefined ? 'a ClusterRole' : `a Role in namespace "${op.namespace}"`;
  // RBAC cannot restrict `create` by name: the name is not known when it is authorized.
  const names = op.name === undefined || op.verb === 'create' ? '' : `, resourceNames: ["${op.name}"]`;
  return `${scope} with apiGroups: ["${op.apiGroup}"], resources: ["${op.resource}"], verbs: ["${op.verb}"]${names}`;
}

const MAX_SERVER_MESSAGE = 512;

export function kubeErrorFromResponse(httpStatus: number, body: Status | undefined, op: KubeOperation): KubeError {
  const reason = body?.reason;
  const serverMessage = (body?.message ?? '').slice(0, MAX_SERVER_MESSAGE);
  const said = serverMessage === '' ? '' : `: ${serverMessage}`;
  const what = describeOperation(op);
  const details = { operation: op, status: httpStatus, ...(reason === undefined ? {} : { reason }) };
  if (httpStatus === 403) {
    return new KubeError(
      'IC_ERR_DENIED',
      `${what}: forbidden (HTTP 403); the service account needs ${describeMissingPermission(op)}${said}`,
      details,
    );
  }
  if (httpStatus === 401) {
    return new KubeError('IC_ERR_UNAUTHORIZED', `${what}: the API server did not accept the service account token (HTTP 401)${said}`, details);
  }
  if (httpStatus === 404) return new KubeError('IC_ERR_NOT_FOUND', `${what}: not found (HTTP 404)${said}`, details);
  if (httpStatus === 409 && reason === 'AlreadyExists') {
    return new KubeError('IC_ERR_ALREADY_EXISTS', `${what}: already exists (HTTP 409)${said}`, details);
  }
  if (httpStatus === 409) return new KubeError('IC_ERR_CONFLICT', `${what}: conflict (HTTP 409)${said}`, details);
  const temporary = httpStatus === 429 || (httpStatus >= 500 && httpStatus !== 501 && httpStatus !== 505);
  const label = reason === undefined ? '' : ` ${reason}`;
  return new KubeError('IC_ERR_KUBE', `${what}: HTTP ${httpStatus}${label}${said}`, { ...details, temporary });
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Network, TLS and deadline failures: TLS is permanent (a wrong CA will not fix itself), the rest temporary. */
export function kubeNetworkError(error: unknown, op: KubeOperation, timedOut: boolean): KubeError {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ('code' in e && typeof e.code === 'string') codes.push(e.code);
  }
  const detail = error instanceof Error ? error.message : String(error);
  const what = describeOperation(op);
  const tls = codes.find((c) => c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_') || /CERT|SELF_SIGNED|VERIFY/.test(c));
  if (tls !== undefined) {
    return new KubeError('IC_ERR_TLS', `${what}: TLS failure talking to the API server (${tls}): ${detail}`, {
      operation: op,
      cause: error,
    });
  }
  if (timedOut || codes.some((c) => TIMEOUT_CODES.has(c))) {
    return new KubeError('IC_ERR_TIMEOUT', `${what}: the API server did not answer in time`, {
      operation: op,
      temporary: true,
      cause: error,
    });
  }
  return new KubeError('IC_ERR_UNREACHABLE', `${what}: cannot reach the API server: ${detail}`, {
    operation: op,
    temporary: true,
    cause: error,
  });
}
