/**
 * The world of the no-cluster smoke run: a real source registry, a real TLS +
 * token-auth backup registry, `image-cloner serve` started with the
 * configuration rendered from manifests/, and the API server stand-in reading
 * the MutatingWebhookConfiguration from the same rendering (with the caBundle
 * the webhook would patch in).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createApiServerStandIn,
  parseWebhookConfiguration,
  readManifestDocuments,
  readNamespaceLabels,
  type ApiServerStandIn,
} from '../../test/apiserver/index.js';
import { CLI_PATH, ensureBuiltCli, PROJECT_ROOT } from '../../test/helpers/built-cli.js';
import { makeTwoPlatformIndex, pushImage } from '../../test/helpers/images.js';
import { spawnManaged, type ManagedProcess } from '../../test/helpers/processes.js';
import { startRegistry, type TestRegistry } from '../../test/helpers/registry-server.js';
import { makeTempDir } from '../../test/helpers/temp-dirs.js';
import { sharedTestPki } from '../../test/helpers/tls.js';

const SERVICE_DNS = 'image-cloner.image-cloner.svc';

export interface SmokeWorld {
  readonly source: TestRegistry;
  readonly backup: TestRegistry;
  /** BACKUP_REGISTRY as served: the manifests' prefix on the local backup registry. */
  readonly backupName: string;
  readonly sourceImage: string;
  readonly sourceDigest: string;
  readonly api: ApiServerStandIn;
  readonly serve: () => ManagedProcess;
  /** Stops the webhook (to see failurePolicy at work). */
  stopWebhook(): Promise<void>;
  stop(): Promise<void>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The webhook container's ConfigMap data, found through the Deployment's envFrom (its name has a hash suffix). */
function configOf(docs: readonly unknown[]): Record<string, string> {
  const deployment = docs.find((d) => isRecord(d) && d['kind'] === 'Deployment');
  const text = JSON.stringify(deployment ?? {});
  const name = /"configMapRef":\{"name":"([^"]+)"/.exec(text)?.[1];
  const configMap = docs.find((d) => isRecord(d) && d['kind'] === 'ConfigMap' && isRecord(d['metadata']) && d['metadata']['name'] === name);
  const data = isRecord(configMap) && isRecord(configMap['data']) ? configMap['data'] : {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)]));
}

/** Sets the caBundle the webhook patches in at runtime (the rendered manifests leave it out). */
function withCaBundle(doc: unknown, caPem: string): unknown {
  if (!isRecord(doc) || !Array.isArray(doc['webhooks'])) return doc;
  const caBundle = Buffer.from(caPem).toString('base64');
  return {
    ...doc,
    webhooks: doc['webhooks'].map((w: unknown) =>
      isRecord(w) && isRecord(w['clientConfig']) ? { ...w, clientConfig: { ...w['clientConfig'], caBundle } } : w,
    ),
  };
}

export async function startSmokeWorld(): Promise<SmokeWorld> {
  const rendered = await promisify(execFile)('kubectl', ['kustomize', join(PROJECT_ROOT, 'manifests')], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: unknown) => {
    throw new Error(`rendering manifests/ with kubectl kustomize failed (is kubectl installed?): ${String(error)}`);
  });
  const docs = readManifestDocuments(rendered.stdout);
  const config = configOf(docs);
  const pki = await sharedTestPki({ extraDnsNames: [SERVICE_DNS] });
  const [source, backup] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'token' })]);
  const index = await makeTwoPlatformIndex('oci', { seed: `smoke-${Date.now()}` });
  await pushImage(source, 'library/alpine', '3.12', index);

  const dir = makeTempDir('smoke');
  const authFile = join(dir, '.dockerconfigjson');
  await writeFile(authFile, JSON.stringify({ auths: { [backup.host]: { username: backup.username, password: backup.password } } }));
  const prefix = (config['BACKUP_REGISTRY'] ?? '').split('/').slice(1).join('/');
  const backupName = prefix === '' ? backup.host : `${backup.host}/${prefix}`;
  await ensureBuiltCli();
  const serve = spawnManaged(process.execPath, [CLI_PATH, 'serve'], {
    name: 'image-cloner serve',
    env: {
      PATH: process.env['PATH'] ?? '',
      ...config,
      BACKUP_REGISTRY: backupName,
      PORT: '0',
      TLS_CERT_FILE: pki.server.certFile,
      TLS_KEY_FILE: pki.server.keyFile,
      REGISTRY_AUTH_FILE: authFile,
      REGISTRY_CA_FILE: backup.caFile ?? '',
      INSECURE_REGISTRIES: source.host,
    },
  });
  const port = Number((await serve.waitForLine(/"msg":"listening".*"port":(\d+)/, 20_000))[1]);
  const api = createApiServerStandIn({
    webhookConfigurations: docs
      .filter((d) => isRecord(d) && d['kind'] === 'MutatingWebhookConfiguration')
      .map((d) => parseWebhookConfiguration(withCaBundle(d, pki.ca.certPem))),
    // The Service's endpoint is our local process; TLS is still checked against the Service DNS name.
    resolveService: () => ({ host: '127.0.0.1', port }),
    namespaces: { ...readNamespaceLabels(rendered.stdout), 'kube-system': {}, smoke: {}, 'opted-out': { 'image-cloner.io/ignore': 'true' } },
  });
  return {
    source,
    backup,
    backupName,
    sourceImage: `${source.host}/library/alpine:3.12`,
    sourceDigest: index.manifest.digest,
    api,
    serve: () => serve,
    async stopWebhook() {
      await serve.stop(10_000);
    },
    async stop() {
      await serve.stop(10_000);
      await Promise.all([source.stop(), backup.stop()]);
    },
  };
}
