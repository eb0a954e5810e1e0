/**
 * What every part of the webhook benchmark shares: the settings, the bench
 * dir, the PKI, the two registries and the credentials; and how it starts
 * `image-cloner serve` against them.
 */
import { join } from 'node:path';
import type { BackupNaming } from '../src/core/backup-naming.js';
import type { LogLevel } from '../src/server/logger.js';
import type { TestRegistry } from '../test/helpers/registry-server.js';
import type { TestPki } from '../test/helpers/tls.js';
import { startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';
import type { WebhookBenchConfig } from './webhook-config.js';

export const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');

/** Progress lines go to stderr; the report alone goes to stdout. */
export function benchLog(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** The CLI under test: BENCH_CLI, else this checkout's build. */
export function cliOf(config: WebhookBenchConfig): string {
  return config.cli ?? CLI;
}

export interface BenchEnv {
  readonly config: WebhookBenchConfig;
  readonly dir: string;
  /** Serves the webhooks (certificate for the Service name and 127.0.0.1) and the backup registry. */
  readonly pki: TestPki;
  /** Plain HTTP, no auth. */
  readonly source: TestRegistry;
  /** TLS and htpasswd, as a cluster's backup registry would be. */
  readonly backup: TestRegistry;
  readonly naming: BackupNaming;
  /** docker config.json with the backup's credentials (REGISTRY_AUTH_FILE). */
  readonly authFile: string;
}

/**
 * `node [BENCH_NODE_ARGS] dist/cli.js serve` (or BENCH_CLI) with the bench's registries and
 * product defaults for everything else; its log goes to `serve-LABEL.log`
 * (labels are unique per run).
 */
export function startServe(env: BenchEnv, logLevel: LogLevel, label: string): Promise<ServerProcess> {
  return startServerProcess({
    name: `serve ${label}`,
    command: process.execPath,
    args: [...env.config.nodeArgs, cliOf(env.config), 'serve'],
    logFile: join(env.dir, `serve-${label}.log`),
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      BACKUP_REGISTRY: `${env.backup.host}/mirror`,
      TLS_CERT_FILE: env.pki.server.certFile,
      TLS_KEY_FILE: env.pki.server.keyFile,
      PORT: '0',
      REGISTRY_AUTH_FILE: env.authFile,
      REGISTRY_CA_FILE: env.backup.caFile ?? '',
      INSECURE_REGISTRIES: env.source.host,
      LOG_LEVEL: logLevel,
    },
  });
}
