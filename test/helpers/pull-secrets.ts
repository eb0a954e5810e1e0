/**
 * Pull-secret fixtures for the Kubernetes API stand-in: image pull Secrets
 * (`kubernetes.io/dockerconfigjson` and the legacy `kubernetes.io/dockercfg`)
 * and ServiceAccounts with `imagePullSecrets`.
 *
 * The stand-in (kube-api-stand-in.ts) routes only Secrets and
 * MutatingWebhookConfigurations; ServiceAccounts are served here through its
 * fault injection (a 200 with the object for every matching GET). That skips
 * its token check for those paths, which these tests do not rely on. The
 * clean change would be a `putServiceAccount(namespace, object)` store and a
 * `serviceaccounts` GET route in the stand-in, alongside `#secretRoute`.
 */
import type { JsonObject, KubeApiStandIn } from './kube-api-stand-in.js';

export interface RegistryLogin {
  readonly username: string | undefined;
  readonly password: string | undefined;
}

function authsFor(logins: Readonly<Record<string, RegistryLogin>>): JsonObject {
  return Object.fromEntries(
    Object.entries(logins).map(([host, login]) => {
      if (login.username === undefined || login.password === undefined) throw new Error(`no credentials for ${host}`);
      return [host, { auth: Buffer.from(`${login.username}:${login.password}`).toString('base64') }];
    }),
  );
}

/** A `kubernetes.io/dockerconfigjson` Secret with one `auths` entry per host. */
export function dockerConfigJsonSecret(name: string, logins: Readonly<Record<string, RegistryLogin>>): JsonObject {
  const json = JSON.stringify({ auths: authsFor(logins) });
  return {
    metadata: { name },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(json).toString('base64') },
  };
}

/** A legacy `kubernetes.io/dockercfg` Secret: `.dockercfg` is the bare auths map. */
export function dockercfgSecret(name: string, logins: Readonly<Record<string, RegistryLogin>>): JsonObject {
  const json = JSON.stringify(authsFor(logins));
  return { metadata: { name }, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': Buffer.from(json).toString('base64') } };
}

export const SERVICE_ACCOUNT_PATH = /^\/api\/v1\/namespaces\/[^/]+\/serviceaccounts\/[^/]+$/;

/** Serves the ServiceAccount `namespace/name` listing `pullSecrets`, until the test ends. */
export function serveServiceAccount(api: KubeApiStandIn, namespace: string, name: string, pullSecrets: readonly string[]): void {
  const path = new RegExp(`^/api/v1/namespaces/${namespace}/serviceaccounts/${name}$`);
  const body = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, uid: `sa-${namespace}-${name}`, resourceVersion: '1' },
    imagePullSecrets: pullSecrets.map((secret) => ({ name: secret })),
  };
  api.inject({ method: 'GET', path, status: 200, body: JSON.stringify(body), times: Number.POSITIVE_INFINITY });
}

/** GETs of Secrets so far, in any namespace. */
export function secretReads(api: KubeApiStandIn): number {
  return api.count('GET', /^\/api\/v1\/namespaces\/[^/]+\/secrets\/[^/]+$/);
}
