/**
 * What the REST handlers do to a request before admission that webhooks can
 * see (apiserver endpoints/handlers create.go and update.go): requests on
 * webhook and policy configuration kinds bypass admission webhooks (src
 * `predicates/rules/rules.go` IsExemptAdmissionConfigurationResource,
 * CLUSTER-NOTES 1.1); a Namespace request's namespace is its own name; the
 * object's metadata.namespace is set from the request, cleared for
 * cluster-scoped kinds, or refused when it disagrees
 * (rest.EnsureObjectNamespaceMatchesRequestNamespace); defaulting runs;
 * the operation's options object is filled in. A write body over 3 MiB
 * never gets that far (CLUSTER-NOTES 1.11: --max-resource-write-bytes).
 */
import { applyDefaults } from './defaulting.js';
import type { RequestAttributes } from './request-attributes.js';
import { badRequest, requestEntityTooLarge } from './status-errors.js';
import type { AdmissionAttributes, ApiStatus, UserInfo } from './types.js';

export type PreparedRequest =
  | { readonly kind: 'admit'; readonly attributes: RequestAttributes; readonly object: unknown }
  | { readonly kind: 'exempt'; readonly object: unknown }
  | { readonly kind: 'reject'; readonly status: ApiStatus };

/** kube-apiserver --max-resource-write-bytes default. */
export const MAX_RESOURCE_WRITE_BYTES = 3 * 1024 * 1024;

const EXEMPT_KINDS = new Set([
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metadataOf(object: unknown): Record<string, unknown> | undefined {
  return isRecord(object) && isRecord(object.metadata) ? object.metadata : undefined;
}

function stringField(record: Record<string, unknown> | undefined, key: string): string {
  const value = record?.[key];
  return typeof value === 'string' ? value : '';
}

function defaultOptions(request: AdmissionAttributes): unknown {
  const dryRun = request.dryRun === true ? { dryRun: ['All'] } : {};
  switch (request.operation) {
    case 'CREATE':
      return { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', ...dryRun };
    case 'UPDATE':
      return { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', ...dryRun };
    case 'DELETE':
      return { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...dryRun };
    case 'CONNECT':
      return null;
  }
}

/** Caller mistakes (not admission outcomes) throw: the review's null rules come from the operation (CLUSTER-NOTES 1.7). */
function checkShape(request: AdmissionAttributes): void {
  const { operation, object, oldObject } = request;
  const present = (value: unknown): boolean => value !== undefined && value !== null;
  if ((operation === 'CREATE' || operation === 'UPDATE') && !isRecord(object)) throw new TypeError(`admit: ${operation} needs an object`);
  if (operation === 'UPDATE' && !isRecord(oldObject)) throw new TypeError('admit: UPDATE needs the stored oldObject');
  if (operation === 'DELETE' && present(object)) throw new TypeError('admit: DELETE has no object (null in the review)');
  if ((operation === 'CREATE' || operation === 'CONNECT') && present(oldObject)) throw new TypeError(`admit: ${operation} has no oldObject`);
}

export function prepareRequest(request: AdmissionAttributes, defaultUser: UserInfo): PreparedRequest {
  checkShape(request);
  let object: unknown = request.object ?? null;
  if (object !== null && Buffer.byteLength(JSON.stringify(object)) > MAX_RESOURCE_WRITE_BYTES) {
    return { kind: 'reject', status: requestEntityTooLarge(MAX_RESOURCE_WRITE_BYTES) };
  }
  if (request.kind.group === 'admissionregistration.k8s.io' && EXEMPT_KINDS.has(request.kind.kind)) return { kind: 'exempt', object };

  const isNamespaces = request.resource.group === '' && request.resource.resource === 'namespaces';
  // On a CREATE with only generateName, the name stays "" (CLUSTER-NOTES 1.7).
  const name = request.name ?? stringField(metadataOf(request.object) ?? metadataOf(request.oldObject), 'name');
  const namespace = isNamespaces ? name : (request.namespace ?? '');

  const meta = metadataOf(object);
  if ((request.operation === 'CREATE' || request.operation === 'UPDATE') && meta !== undefined && isRecord(object)) {
    const expected = isNamespaces ? '' : namespace;
    const actual = stringField(meta, 'namespace');
    if (actual !== expected) {
      if (actual !== '' && expected !== '') {
        return { kind: 'reject', status: badRequest('the namespace of the provided object does not match the namespace sent on the request') };
      }
      const cleared = Object.fromEntries(Object.entries(meta).filter(([key]) => key !== 'namespace'));
      object = { ...object, metadata: expected === '' ? cleared : { ...meta, namespace: expected } };
    }
  }
  return {
    kind: 'admit',
    object: applyDefaults(object, request.kind),
    attributes: {
      operation: request.operation,
      resource: { group: request.resource.group, version: request.resource.version, resource: request.resource.resource },
      subResource: request.resource.subResource ?? '',
      kind: request.kind,
      name,
      namespace,
      userInfo: request.userInfo ?? defaultUser,
      dryRun: request.dryRun === true,
      options: request.options === undefined ? defaultOptions(request) : request.options,
      oldObject: request.oldObject ?? null,
    },
  };
}
