/**
 * A webhook server in this process, on 127.0.0.1 port 0, with the test PKI
 * (server certificate valid for the Service name), a fake mirror and a
 * captured log. `close()` stops it and drops every connection.
 */
import type { Server } from 'node:https';
import type { MutationPolicy } from '../../src/core/mutation-policy.js';
import { parseMutationPolicy } from '../../src/core/mutation-policy.js';
import { createAdmissionHandler } from '../../src/server/admission-handler.js';
import { DEFAULT_MAX_REQUEST_BYTES } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { Readiness } from '../../src/server/readiness.js';
import { createWebhookServer } from '../../src/server/webhook-server.js';
import { FakeMirror } from '../helpers/fake-mirror.js';
import { SERVICE_NAME } from '../helpers/https-client.js';
import type { HttpsTarget } from '../helpers/https-client.js';
import { sharedTestPki } from '../helpers/tls.js';
import type { TestPki } from '../helpers/tls.js';

export const BACKUP = 'backup.example:5000';

export interface RunningWebhook {
  readonly server: Server;
  readonly port: number;
  readonly pki: TestPki;
  readonly target: HttpsTarget;
  readonly mirror: FakeMirror;
  readonly metrics: ServerMetrics;
  readonly readiness: Readiness;
  readonly lines: string[];
  close(): Promise<void>;
}

export interface WebhookOptions {
  readonly maxRequestBytes?: number;
  readonly policy?: MutationPolicy;
  readonly mirror?: FakeMirror;
  readonly cert?: string;
  readonly key?: string;
}

export function servicePki(): Promise<TestPki> {
  return sharedTestPki({ extraDnsNames: [SERVICE_NAME] });
}

export async function startWebhook(options: WebhookOptions = {}): Promise<RunningWebhook> {
  const pki = await servicePki();
  const mirror = options.mirror ?? new FakeMirror();
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  const metrics = new ServerMetrics();
  metrics.readInFlightFrom(() => mirror.inFlight);
  metrics.readRunningFrom(() => mirror.running);
  const readiness = new Readiness();
  const admission = createAdmissionHandler({
    policy: options.policy ?? parseMutationPolicy({ registry: BACKUP }),
    mirror,
    copyBudgetMs: 5_000,
    logger,
    metrics,
  });
  const server = createWebhookServer({
    cert: options.cert ?? pki.server.certPem,
    key: options.key ?? pki.server.keyPem,
    admission,
    metrics,
    readiness,
    logger,
    maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  readiness.markReady();
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('server has no port');
  const port = address.port;
  return {
    server,
    port,
    pki,
    target: { port, ca: pki.ca.certPem },
    mirror,
    metrics,
    readiness,
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
