/**
 * The few Kubernetes API calls the webhook makes, as plain REST: read,
 * create and update one Secret, read and patch one
 * MutatingWebhookConfiguration, and (private sources) read pull Secrets and
 * ServiceAccounts. Every answer is parsed by zod; errors are
 * KubeErrors whose code tells NotFound (IC_ERR_NOT_FOUND), AlreadyExists
 * (IC_ERR_ALREADY_EXISTS), Conflict (IC_ERR_CONFLICT) and Forbidden
 * (IC_ERR_DENIED) apart.
 */
import type { z } from 'zod';
import type { PatchOp } from '../core/json-patch.js';
import { KubeError, describeOperation } from './kube-error.js';
import type { KubeOperation } from './kube-error.js';
import { mutatingWebhookConfigurationSchema, secretSchema, serviceAccountSchema } from './kube-schemas.js';
import type { MutatingWebhookConfiguration, Secret, ServiceAccount } from './kube-schemas.js';
import type { KubeRequest, KubeTransport } from './kube-transport.js';

/** What the certificate code needs from the API: an interface, so tests and other transports can stand in. */
export interface KubeApi {
  getSecret(namespace: string, name: string): Promise<Secret>;
  /** `secret.metadata.name` names it; fails with IC_ERR_ALREADY_EXISTS when another writer was first. */
  createSecret(namespace: string, secret: SecretInput): Promise<Secret>;
  /** Needs `metadata.resourceVersion`: fails with IC_ERR_CONFLICT when the Secret changed since it was read. */
  updateSecret(namespace: string, secret: SecretInput): Promise<Secret>;
  getMutatingWebhookConfiguration(name: string): Promise<MutatingWebhookConfiguration>;
  /** An RFC 6902 patch (`application/json-patch+json`). */
  patchMutatingWebhookConfiguration(name: string, ops: readonly KubePatchOp[]): Promise<MutatingWebhookConfiguration>;
}

/** A Secret to write: what we read (unknown fields kept) or a new one. */
export interface SecretInput {
  readonly metadata: { readonly name: string; readonly resourceVersion?: string | undefined; readonly [key: string]: unknown };
  readonly type?: string | undefined;
  readonly data: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

export type KubePatchOp = PatchOp;

const SECRETS = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
const SERVICE_ACCOUNTS = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts`;
const MWCS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const ADMISSION_GROUP = 'admissionregistration.k8s.io';

export class KubeClient implements KubeApi {
  readonly #transport: KubeTransport;

  constructor(transport: KubeTransport) {
    this.#transport = transport;
  }

  getSecret(namespace: string, name: string): Promise<Secret> {
    const operation = secretOp('get', namespace, name);
    return this.#call({ operation, method: 'GET', path: `${SECRETS(namespace)}/${encodeURIComponent(name)}` }, secretSchema);
  }

  /** For its imagePullSecrets (private sources, manifests/components/private-sources). */
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccount> {
    const operation: KubeOperation = { verb: 'get', apiGroup: '', resource: 'serviceaccounts', namespace, name };
    const path = `${SERVICE_ACCOUNTS(namespace)}/${encodeURIComponent(name)}`;
    return this.#call({ operation, method: 'GET', path }, serviceAccountSchema);
  }

  createSecret(namespace: string, secret: SecretInput): Promise<Secret> {
    const operation = secretOp('create', namespace, secret.metadata.name);
    const body = { ...secret, apiVersion: 'v1', kind: 'Secret', metadata: { ...secret.metadata, namespace } };
    return this.#call({ operation, method: 'POST', path: SECRETS(namespace), body }, secretSchema);
  }

  async updateSecret(namespace: string, secret: SecretInput): Promise<Secret> {
    const name = secret.metadata.name;
    const operation = secretOp('update', namespace, name);
    if (secret.metadata.resourceVersion === undefined) {
      // Without it the API server would overwrite whatever another replica wrote.
      throw new KubeError('IC_ERR_KUBE', `${describeOperation(operation)}: no resourceVersion to update from`, { operation });
    }
    const body = { ...secret, apiVersion: 'v1', kind: 'Secret', metadata: { ...secret.metadata, namespace } };
    const path = `${SECRETS(namespace)}/${encodeURIComponent(name)}`;
    return this.#call({ operation, method: 'PUT', path, body }, secretSchema);
  }

  getMutatingWebhookConfiguration(name: string): Promise<MutatingWebhookConfiguration> {
    const operation: KubeOperation = { verb: 'get', apiGroup: ADMISSION_GROUP, resource: 'mutatingwebhookconfigurations', name };
    const path = `${MWCS}/${encodeURIComponent(name)}`;
    return this.#call({ operation, method: 'GET', path }, mutatingWebhookConfigurationSchema);
  }

  patchMutatingWebhookConfiguration(name: string, ops: readonly KubePatchOp[]): Promise<MutatingWebhookConfiguration> {
    const operation: KubeOperation = { verb: 'patch', apiGroup: ADMISSION_GROUP, resource: 'mutatingwebhookconfigurations', name };
    const path = `${MWCS}/${encodeURIComponent(name)}`;
    const request: KubeRequest = { operation, method: 'PATCH', path, body: ops, contentType: 'application/json-patch+json' };
    return this.#call(request, mutatingWebhookConfigurationSchema);
  }

  async #call<T>(request: KubeRequest, schema: z.ZodType<T>): Promise<T> {
    const json = await this.#transport.requestJson(request);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const problem = parsed.error.issues[0];
      const where = problem === undefined ? '' : ` (${problem.path.map(String).join('.')}: ${problem.message})`;
      throw new KubeError('IC_ERR_KUBE', `${describeOperation(request.operation)}: unexpected answer${where}`, {
        operation: request.operation,
      });
    }
    return parsed.data;
  }
}

function secretOp(verb: KubeOperation['verb'], namespace: string, name: string): KubeOperation {
  return { verb, apiGroup: '', resource: 'secrets', namespace, name };
}
