/**
 * Where `serve` gets its serving certificate: mounted files, re-read when
 * they change (cert-manager, Secret rotation), or, with no files in a
 * cluster, its own CA and certificate kept in a Secret and rotated before
 * expiry, with the MutatingWebhookConfiguration's caBundle patched (issue 4).
 */
import type { CertificateRotation } from '../certs/certificate-rotation.js';
import type { ServingCertificate } from '../certs/ensure-serving-certificate.js';
import type { InClusterClient } from '../kube/connect-in-cluster.js';
import type { TlsSource } from '../server/config.js';
import type { Logger } from '../server/logger.js';
import { TlsReloader, type TlsPair } from '../server/tls-reloader.js';

export interface CertificateSupply {
  readonly initial: TlsPair;
  readonly source: TlsSource['kind'];
  /** Starts following changes; `apply` installs a new pair on the server. */
  start(apply: (pair: TlsPair) => void): void;
  stop(): Promise<void>;
}

export function fileCertificates(source: Extract<TlsSource, { kind: 'files' }>, initial: TlsPair, logger: Logger): CertificateSupply {
  let reloader: TlsReloader | undefined;
  return {
    initial,
    source: 'files',
    start(apply) {
      reloader = new TlsReloader({ certFile: source.certFile, keyFile: source.keyFile, initial, apply, logger });
      reloader.start();
    },
    async stop() {
      reloader?.stop();
    },
  };
}

/** Throws (with the missing RBAC rule named, when that is the cause) if no certificate can be had. */
export async function managedCertificates(
  source: Extract<TlsSource, { kind: 'managed' }>,
  logger: Logger,
  /** The service account files; the kubelet's paths unless a test gives others. */
  files: { readonly tokenFile?: string; readonly caFile?: string } = {},
): Promise<CertificateSupply> {
  // Loaded only here: the X.509 library costs ~100 ms and ~20 MiB at start-up,
  // for nothing when the certificate is mounted.
  const [{ ensureServingCertificate }, { startCertificateRotation }, { connectInCluster }, { readInClusterNamespace }] =
    await Promise.all([
      import('../certs/ensure-serving-certificate.js'),
      import('../certs/certificate-rotation.js'),
      import('../kube/connect-in-cluster.js'),
      import('../kube/in-cluster-config.js'),
    ]);
  const client: InClusterClient = await connectInCluster({ host: source.apiHost, port: source.apiPort, ...files });
  try {
    const options = {
      kube: client.kube,
      namespace: source.namespace ?? (await readInClusterNamespace()),
      secretName: source.secretName,
      serviceName: source.serviceName,
      webhookConfigurationName: source.webhookConfigurationName,
      logger,
    };
    const first = await ensureServingCertificate(options);
    logger.info('serving certificate ready', {
      store: `${options.namespace}/${source.secretName}`,
      outcome: first.secret,
      caBundle: first.caBundle,
      notAfter: new Date(first.notAfter).toISOString(),
    });
    let rotation: CertificateRotation | undefined;
    return {
      initial: toPair(first),
      source: 'managed',
      start(apply) {
        rotation = startCertificateRotation({
          ...options,
          initial: first,
          intervalMs: source.checkIntervalMs,
          onChange: (next) => apply(toPair(next)),
        });
      },
      async stop() {
        rotation?.stop();
        await client.close();
      },
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}

function toPair(certificate: ServingCertificate): TlsPair {
  return { cert: certificate.certPem, key: certificate.keyPem };
}
