/**
 * metav1.Status bodies as the API server writes them for the errors the
 * stand-in produces (k8s.io/apimachinery/pkg/api/errors: NewNotFound,
 * NewAlreadyExists, NewConflict, NewForbidden, NewUnauthorized, NewInvalid,
 * NewInternalError), so the client is tested against the real shapes.
 */
export interface StatusBody {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: { readonly name?: string; readonly group?: string; readonly kind?: string };
  readonly code: number;
}

export interface StatusTarget {
  readonly group: string;
  readonly resource: string;
  readonly name?: string;
}

function status(code: number, reason: string, message: string, target?: StatusTarget): StatusBody {
  const details =
    target === undefined
      ? undefined
      : { ...(target.name === undefined ? {} : { name: target.name }), group: target.group, kind: target.resource };
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

function qualified(target: StatusTarget): string {
  return target.group === '' ? target.resource : `${target.resource}.${target.group}`;
}

export function notFound(target: StatusTarget): StatusBody {
  return status(404, 'NotFound', `${qualified(target)} "${target.name ?? ''}" not found`, target);
}

export function alreadyExists(target: StatusTarget): StatusBody {
  return status(409, 'AlreadyExists', `${qualified(target)} "${target.name ?? ''}" already exists`, target);
}

export function conflict(target: StatusTarget): StatusBody {
  return status(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(target)} "${target.name ?? ''}": ` +
      'the object has been modified; please apply your changes to the latest version and try again',
    target,
  );
}

export function forbidden(target: StatusTarget, verb: string, user: string, namespace: string | undefined): StatusBody {
  const where = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const message =
    `${qualified(target)} "${target.name ?? ''}" is forbidden: User "${user}" cannot ${verb} resource ` +
    `"${target.resource}" in API group "${target.group}" ${where}`;
  return status(403, 'Forbidden', message, target);
}

export function unauthorized(): StatusBody {
  return status(401, 'Unauthorized', 'Unauthorized');
}

export function invalid(target: StatusTarget, message: string): StatusBody {
  return status(422, 'Invalid', message, target);
}

export function internalError(message: string): StatusBody {
  return status(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function tooManyRequests(): StatusBody {
  return status(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later');
}
