/**
 * The real webhook as a cluster runs it: `node dist/cli.js serve` in its own
 * process, serving TLS with a certificate for the Service name
 * (image-cloner.image-cloner.svc) from the shared test PKI, on the port the
 * kernel picks (PORT=0; the `listening` log line says which). Requests go the
 * way the API server sends them (CLUSTER-NOTES 1.6): `POST /mutate?timeout=10s`,
 * HTTP/1.1, the test CA as the only trust anchor, the Service name as the
 * TLS server name.
 */
import { ensureBuiltCli, CLI_PATH } from './built-cli.js';
import { readAdmissionResponse } from './admission-response.js';
import type { ReadResponse } from './admission-response.js';
import { httpsRequest, SERVICE_NAME } from './https-client.js';
import type { HttpsResponse, HttpsTarget } from './https-client.js';
import { spawnManaged } from './processes.js';
import type { ManagedProcess } from './processes.js';
import { sharedTestPki } from './tls.js';
import type { TestPki } from './tls.js';
import type { BuiltReview } from './admission-request.js';

export interface ServeWebhook {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly pki: TestPki;
  readonly target: HttpsTarget;
  /** Sends a review as the API server does; throws unless the answer is HTTP 200 and a well-formed AdmissionReview. */
  admit(built: BuiltReview): Promise<Admitted>;
  /** A raw `POST /mutate?timeout=10s` with this body (JSON content type unless headers say otherwise). */
  post(body: string | Buffer, headers?: Record<string, string>): Promise<HttpsResponse>;
  /** The value of one Prometheus sample (the whole line up to the value must match), or undefined. */
  metric(sample: RegExp): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface Admitted {
  readonly response: ReadResponse;
  /** Wall time from sending the request to the complete answer. */
  readonly ms: number;
}

function servicePkiForServe(): Promise<TestPki> {
  return sharedTestPki({ extraDnsNames: [SERVICE_NAME] });
}

/** Where a Pod finds its service account: fixed in the code, as in every Kubernetes client. */
const SERVICE_ACCOUNT_DIR = '/run/secrets/kubernetes.io/serviceaccount';

/**
 * Runs the command in its own user and mount namespace (unshare -rm, which
 * needs no privilege where unprivileged user namespaces are allowed, as on
 * Debian) with a tmpfs over /run holding `dir`'s token, ca.crt and
 * namespace at the service account path (/var/run is /run): the process
 * sees what a Pod sees, and nothing on the machine changes.
 */
function asPod(serviceAccountDir: string, command: string, args: readonly string[]): [string, string[]] {
  const script =
    `mount -t tmpfs tmpfs /run && mkdir -p ${SERVICE_ACCOUNT_DIR} && ` +
    `cp "$1/token" "$1/ca.crt" "$1/namespace" ${SERVICE_ACCOUNT_DIR}/ && shift && exec "$@"`;
  return ['unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'sh', serviceAccountDir, command, ...args]];
}

export interface ServeOptions {
  /** A directory with `token`, `ca.crt` and `namespace`, mounted where a Pod's service account is (see asPod). */
  readonly serviceAccountDir?: string;
}

/** `env` is the whole environment besides PATH, as a Deployment would set it. */
export async function startServeWebhook(
  env: Readonly<Record<string, string>>,
  name = 'serve',
  options: ServeOptions = {},
): Promise<ServeWebhook> {
  const [pki] = await Promise.all([servicePkiForServe(), ensureBuiltCli()]);
  const [command, args] =
    options.serviceAccountDir === undefined
      ? [process.execPath, [CLI_PATH, 'serve']]
      : asPod(options.serviceAccountDir, process.execPath, [CLI_PATH, 'serve']);
  const child = spawnManaged(command, args, {
    name,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      TLS_CERT_FILE: pki.server.certFile,
      TLS_KEY_FILE: pki.server.keyFile,
      PORT: '0',
      SHUTDOWN_GRACE_SECONDS: '2',
      ...env,
    },
    maxOutputBytes: 2 * 1024 * 1024,
  });
  let port: number;
  try {
    const match = await child.waitForLine(/"msg":"listening".*"port":(\d+)/, 15_000);
    port = Number(match[1]);
  } catch (error) {
    await child.stop();
    throw error;
  }
  const target: HttpsTarget = { port, ca: pki.ca.certPem, servername: SERVICE_NAME };

  const post = (body: string | Buffer, headers: Record<string, string> = {}): Promise<HttpsResponse> =>
    httpsRequest(target, {
      method: 'POST',
      path: '/mutate?timeout=10s',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, */*',
        'user-agent': 'kube-apiserver-admission',
        ...headers,
      },
      body,
    });

  return {
    process: child,
    port,
    pki,
    target,
    post,
    admit: async (built) => {
      const started = Date.now();
      const res = await post(JSON.stringify(built.review));
      const ms = Date.now() - started;
      if (res.status !== 200) throw new Error(`POST /mutate answered ${res.status}: ${res.body}`);
      return { response: readAdmissionResponse(res.body), ms };
    },
    metric: async (sample) => {
      const res = await httpsRequest(target, { path: '/metrics' });
      if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
      for (const line of res.body.split('\n')) {
        const space = line.lastIndexOf(' ');
        if (space > 0 && sample.test(line.slice(0, space))) return Number(line.slice(space + 1));
      }
      return undefined;
    },
    stop: async () => {
      await child.stop(5_000);
    },
  };
}
