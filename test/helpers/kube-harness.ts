/**
 * A Kubernetes API stand-in plus a real KubeClient talking to it over HTTPS
 * (the test CA as the cluster CA, a token file as the kubelet would mount
 * it), with fast retries so fault tests stay quick. `close()` stops both.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadInClusterConfig } from '../../src/kube/in-cluster-config.js';
import type { KubeConnection } from '../../src/kube/in-cluster-config.js';
import { KubeClient } from '../../src/kube/kube-client.js';
import { KubeTransport } from '../../src/kube/kube-transport.js';
import type { KubeTransportOptions } from '../../src/kube/kube-transport.js';
import { KubeApiStandIn } from './kube-api-stand-in.js';
import type { JsonObject } from './kube-api-stand-in.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { mintTestSecret } from './test-secrets.js';
import { sharedTestPki } from './tls.js';
import type { TestPki } from './tls.js';

export const NAMESPACE = 'image-cloner';
export const SERVICE = 'image-cloner';
export const SECRET = 'image-cloner-certs';
export const CONFIGURATION = 'image-cloner';
/** The service-account token the stand-in accepts: a registered test secret. */
export const TOKEN = mintTestSecret('kube service-account token', 'token', { bytes: 24 });

export interface KubeHarness {
  readonly api: KubeApiStandIn;
  readonly pki: TestPki;
  readonly tokenFile: string;
  readonly connection: KubeConnection;
  /** A client with its own connection pool (another replica). */
  client(options?: Partial<Omit<KubeTransportOptions, 'connection'>>): KubeClient;
  close(): Promise<void>;
}

export async function startKubeHarness(
  defaults: Partial<Omit<KubeTransportOptions, 'connection'>> = {},
): Promise<KubeHarness> {
  const pki = await sharedTestPki();
  const api = await KubeApiStandIn.start(pki, [TOKEN]);
  const dir = makeTempDir('kube');
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${TOKEN}\n`);
  const url = api.url;
  const connection = await loadInClusterConfig({
    host: url.hostname,
    port: url.port,
    tokenFile,
    caFile: pki.ca.certFile,
  });
  const transports: KubeTransport[] = [];
  const client = (options: Partial<Omit<KubeTransportOptions, 'connection'>> = {}): KubeClient => {
    const transport = new KubeTransport({
      connection,
      backoff: { baseMs: 5, maxMs: 20, maxAttempts: 4 },
      requestTimeoutMs: 5_000,
      ...defaults,
      ...options,
    });
    transports.push(transport);
    return new KubeClient(transport);
  };
  return {
    api,
    pki,
    tokenFile,
    connection,
    client,
    close: async () => {
      await Promise.all(transports.map((t) => t.close()));
      await api.close();
      await removeTempDir(dir);
    },
  };
}

/** Our MutatingWebhookConfiguration as the manifests create it (no caBundle), plus a foreign webhook. */
export function webhookConfiguration(extra: readonly JsonObject[] = []): JsonObject {
  return {
    metadata: { name: CONFIGURATION },
    webhooks: [
      {
        name: 'image-cloner.image-cloner.io',
        clientConfig: { service: { name: SERVICE, namespace: NAMESPACE, path: '/mutate', port: 443 } },
        sideEffects: 'NoneOnDryRun',
        admissionReviewVersions: ['v1'],
      },
      {
        name: 'other.example.io',
        clientConfig: { service: { name: 'other', namespace: NAMESPACE, path: '/mutate' }, caBundle: 'b3RoZXI=' },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
      },
      ...extra,
    ],
  };
}
