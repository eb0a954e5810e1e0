/**
 * `image-cloner serve`: the composition root of the webhook. Configuration
 * comes from the environment object passed in (nothing else reads it); all
 * problems, in the variables and then in the files they name, are reported
 * together before the server listens (exit status 2).
 */
import { isClonerError } from '../core/errors.js';
import { connectInCluster, type InClusterClient } from '../kube/connect-in-cluster.js';
import { PullSecretStore } from '../kube/pull-secret-store.js';
import { MirrorService } from '../mirror/mirror-service.js';
import { RegistryPool } from '../registry/registry-pool.js';
import { createAdmissionHandler } from '../server/admission-handler.js';
import { BadConfigError, parseServeConfig } from '../server/config.js';
import type { Env, ServeConfig } from '../server/config.js';
import { createLogger, errorFields } from '../server/logger.js';
import type { Logger } from '../server/logger.js';
import { ServerMetrics } from '../server/metrics.js';
import { createMirrorObserver } from '../server/mirror-events.js';
import { Readiness } from '../server/readiness.js';
import { createLineBatcher } from '../server/line-batcher.js';
import { installShutdown } from '../server/shutdown.js';
import type { SignalSource } from '../server/shutdown.js';
import { describeCertificate, loadTlsPair } from '../server/tls-reloader.js';
import type { TlsPair } from '../server/tls-reloader.js';
import { createWebhookServer, setServerTls } from '../server/webhook-server.js';
import type { DockerConfig } from '../core/docker-config.js';
import { readAuthFile, readCaFile } from './read-inputs.js';
import { fileCertificates, managedCertificates, type CertificateSupply } from './serve-certificates.js';

export const SERVE_USAGE = `usage: image-cloner serve

Runs the mutating admission webhook over HTTPS. Configured by environment
variables only: BACKUP_REGISTRY is required; TLS_CERT_FILE and TLS_KEY_FILE
too, unless it runs in Kubernetes, where without them it manages its own
certificate. See the README for the others and their defaults.
`;

export interface ServeIo {
  readonly env: Env;
  /** Log lines (JSON). */
  readonly stdout: (text: string) => void;
  /** Startup problems (JSON lines too). */
  readonly stderr: (text: string) => void;
  readonly signals: SignalSource;
  /** Registers a listener for promise rejections nobody handled (process 'unhandledRejection'). */
  readonly onUnhandledRejection?: (listener: (reason: unknown) => void) => void;
}

interface Inputs {
  /** Loaded here for mounted files; undefined when the certificate is self-managed. */
  readonly tls: TlsPair | undefined;
  readonly auth: DockerConfig | undefined;
  readonly caPems: readonly string[];
}

export async function runServeCommand(argv: readonly string[], io: ServeIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(SERVE_USAGE);
    return 0;
  }
  const startupLog = createLogger({ level: 'error', write: io.stderr });
  if (argv.length > 0) {
    startupLog.error('invalid arguments', { problems: [`serve takes no arguments, got ${argv.join(' ')}`] });
    return 2;
  }
  let config: ServeConfig;
  try {
    config = parseServeConfig(io.env);
  } catch (error) {
    if (!(error instanceof BadConfigError)) throw error;
    startupLog.error('invalid configuration', { problems: error.problems });
    return 2;
  }
  const inputs = await readInputs(config);
  if ('problems' in inputs) {
    startupLog.error('invalid configuration', { problems: inputs.problems });
    return 2;
  }

  // Both loggers share the batcher, so lines keep their order.
  const out = createLineBatcher(io.stdout);
  try {
    return await serveWith(config, inputs, createLogger({ level: config.logLevel, write: out.write }), out.write, io);
  } finally {
    out.flush();
  }
}

async function serveWith(
  config: ServeConfig,
  inputs: Inputs,
  logger: Logger,
  stdout: (line: string) => void,
  io: ServeIo,
): Promise<number> {
  io.onUnhandledRejection?.((reason) => logger.error('unhandled rejection', errorFields(reason)));
  let certificates: CertificateSupply;
  try {
    certificates =
      config.tls.kind === 'files' && inputs.tls !== undefined
        ? fileCertificates(config.tls, inputs.tls, logger)
        : config.tls.kind === 'managed'
          ? await managedCertificates(config.tls, logger)
          : unreachable();
  } catch (error) {
    logger.error('cannot obtain the serving certificate', errorFields(error));
    return 1;
  }
  // A client of its own even when self-managed certificates opened one: simpler lifetimes.
  let pullSecretsApi: InClusterClient | undefined;
  if (config.pullSecrets !== undefined) {
    try {
      pullSecretsApi = await connectInCluster({ host: config.pullSecrets.apiHost, port: config.pullSecrets.apiPort });
    } catch (error) {
      logger.error('cannot reach the Kubernetes API for PULL_SECRETS_LOOKUP', errorFields(error));
      await certificates.stop();
      return 1;
    }
  }
  const pullCredentials =
    pullSecretsApi === undefined || config.pullSecrets === undefined
      ? undefined
      : new PullSecretStore({ kube: pullSecretsApi.kube, ttlMs: config.pullSecrets.ttlMs, logger });
  const metrics = new ServerMetrics({ processMetrics: true });
  const endpoint = config.backupEndpoint;
  const pool = new RegistryPool({
    auth: inputs.auth,
    caPems: inputs.caPems,
    insecureHosts: [...config.insecureRegistries, ...(endpoint?.insecure === true ? [endpoint.host] : [])],
    // Credentials saved under the backup's pod-spec name also serve its push endpoint.
    credentialAliases: endpoint === undefined ? {} : { [endpoint.host]: config.policy.naming.registry },
    onRateLimited: (host) => metrics.recordRateLimited(host),
  });
  const mirror = new MirrorService({
    pool,
    backupRegistry: config.policy.naming.registry,
    backupEndpoint: endpoint?.host,
    copyConcurrency: config.copyConcurrency,
    jobs: config.copyJobs,
    referrers: config.copyReferrers,
    tagTtlMs: config.cacheTagTtlMs,
    failureTtlMs: config.copyRetryMs,
    observer: createMirrorObserver(metrics, logger),
  });
  metrics.readInFlightFrom(() => mirror.inFlight);
  metrics.readRunningFrom(() => mirror.running);
  const readiness = new Readiness();
  const admission = createAdmissionHandler({
    policy: config.policy,
    mirror,
    copyBudgetMs: config.copyBudgetMs,
    logger,
    metrics,
    pullCredentials,
  });
  const server = createWebhookServer({
    ...certificates.initial,
    admission,
    metrics,
    readiness,
    logger,
    maxRequestBytes: config.maxRequestBytes,
  });
  const cleanup = async (): Promise<void> => {
    await certificates.stop();
    await pool.close();
    await pullSecretsApi?.close();
  };

  try {
    await listen(server, config.port);
  } catch (error) {
    logger.error('cannot listen', { port: config.port, ...errorFields(error) });
    await cleanup();
    return 1;
  }
  certificates.start((pair) => setServerTls(server, pair));
  const shutdown = installShutdown({
    server,
    readiness,
    mirror,
    graceMs: config.shutdownGraceMs,
    logger,
    signals: io.signals,
    cleanup,
  });
  readiness.markReady();
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : undefined;
  // The start line is printed whatever LOG_LEVEL says: it carries the port (PORT=0) and the settings in force.
  logStart(createLogger({ level: 'info', write: stdout }), config, inputs, certificates, port);
  return shutdown.done;
}

async function readInputs(config: ServeConfig): Promise<Inputs | { readonly problems: readonly string[] }> {
  const [tls, auth, cas] = await Promise.allSettled([
    config.tls.kind === 'files' ? loadTlsPair(config.tls.certFile, config.tls.keyFile) : undefined,
    config.registryAuthFile === undefined ? undefined : readAuthFile(config.registryAuthFile, 'REGISTRY_AUTH_FILE'),
    Promise.allSettled(config.registryCaFiles.map((file) => readCaFile(file, 'REGISTRY_CA_FILE'))),
  ]);
  const problems: string[] = [];
  const note = (result: PromiseSettledResult<unknown>): void => {
    if (result.status === 'rejected') {
      problems.push(isClonerError(result.reason) ? result.reason.message : String(result.reason));
    }
  };
  note(tls);
  note(auth);
  const caResults = cas.status === 'fulfilled' ? cas.value : [];
  caResults.forEach(note);
  if (tls.status !== 'fulfilled' || auth.status !== 'fulfilled' || problems.length > 0) return { problems };
  const caPems = caResults.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  return { tls: tls.value, auth: auth.value, caPems };
}

function listen(server: ReturnType<typeof createWebhookServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function unreachable(): never {
  throw new Error('unreachable: mounted TLS files were not loaded');
}

function logStart(
  logger: Logger,
  config: ServeConfig,
  inputs: Inputs,
  certificates: CertificateSupply,
  port: number | undefined,
): void {
  logger.info('listening', {
    port,
    backupRegistry: config.policy.naming.registry,
    backupPrefix: config.policy.naming.prefix,
    backupLayout: config.policy.naming.layout,
    backupEndpoint: config.backupEndpoint?.host,
    strict: config.policy.strict,
    pinDigests: config.policy.pinDigests,
    copyBudgetMs: config.copyBudgetMs,
    dockerConfigLoaded: inputs.auth !== undefined,
    pullSecretsLookup: config.pullSecrets !== undefined,
    extraCas: inputs.caPems.length,
    certificateSource: certificates.source,
    certificate: describeCertificate(certificates.initial.cert),
  });
}
