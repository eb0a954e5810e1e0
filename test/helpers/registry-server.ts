/**
 * The real distribution registry (Debian `docker-registry`, 2.8.2) on a
 * loopback port chosen by the kernel. Registry 2.8.2 accepts
 * `http.addr: 127.0.0.1:0` and logs the bound address ("listening on
 * 127.0.0.1:PORT[, tls]"), so no port is guessed. The config is written as
 * JSON, which the registry's YAML parser reads as-is.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { runCommand, spawnManaged } from './processes.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { sharedTestPki } from './tls.js';
import type { TestPki } from './tls.js';
import { mintTestSecret } from './test-secrets.js';
import { startTokenServer } from './token-server.js';
import type { TestTokenServer, TokenServerSettings } from './token-server.js';

export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface RegistryOptions {
  /** HTTPS with the test CA. Defaults to true when auth is not 'none'. */
  readonly tls?: boolean;
  readonly auth?: RegistryAuth;
  /** Defaults to the process-wide shared test PKI. */
  readonly pki?: TestPki;
  /** Token server settings for auth 'token' (users default to the test user). */
  readonly token?: Partial<TokenServerSettings>;
  readonly username?: string;
  /** Edits the registry config object before it is written. */
  readonly configure?: (config: Record<string, unknown>) => void;
  readonly startTimeoutMs?: number;
  /** Bound on the log kept for logs() (default 1 MiB); a long run that reads the access log needs more. */
  readonly maxLogBytes?: number;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as it appears in image references. */
  readonly host: string;
  readonly port: number;
  /** `http://…` or `https://…`, no trailing slash. */
  readonly url: string;
  readonly tls: boolean;
  readonly auth: RegistryAuth;
  readonly pki: TestPki | undefined;
  /**
   * The test CA, set whenever the registry or its token server speaks TLS
   * (a plain-http registry may still use an https token realm).
   */
  readonly caFile: string | undefined;
  readonly caPem: string | undefined;
  /** A directory holding the test CA as `ca.crt`, for skopeo's --cert-dir. */
  readonly certDir: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tokenServer: TestTokenServer | undefined;
  readonly rootDir: string;
  readonly configFile: string;
  readonly pid: number;
  /** `host/repo:tag` or `host/repo@digest`. */
  ref(repo: string, tagOrDigest: string): string;
  /** The registry's log so far (bounded; it logs to stderr), across restarts. */
  logs(): string;
  /**
   * Ends the registry process (SIGTERM, or SIGKILL with `kill`) and keeps its
   * storage and port, as a registry that goes away mid-copy: clients get
   * "connection refused" until resume().
   */
  halt(options?: { readonly kill?: boolean }): Promise<void>;
  /** Starts the registry again on the same port, with the same storage and config. */
  resume(): Promise<void>;
  /** Stops the registry and token server and removes the temp dir. */
  stop(): Promise<void>;
}

export const TEST_USERNAME = 'cloner-test';

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const tls = options.tls ?? auth !== 'none';
  const needsPki = tls || auth === 'token';
  const pki = options.pki ?? (needsPki ? await sharedTestPki() : undefined);
  const rootDir = makeTempDir('registry');
  let tokenServer: TestTokenServer | undefined;
  try {
    const username = auth === 'none' ? undefined : (options.username ?? TEST_USERNAME);
    const password = auth === 'none' || username === undefined ? undefined : mintTestSecret(`${auth} registry password`, 'password', { username });
    const config: Record<string, unknown> = {
      version: '0.1',
      log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
      storage: {
        filesystem: { rootdirectory: join(rootDir, 'data') },
        delete: { enabled: true },
        // Tests are short; a purge timer firing mid-test would only add noise.
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: {
        addr: '127.0.0.1:0',
        // An explicit secret silences the "No HTTP secret provided" warning.
        secret: mintTestSecret('registry http secret', 'token'),
        ...(tls && pki !== undefined ? { tls: { certificate: pki.server.certFile, key: pki.server.keyFile } } : {}),
      },
    };
    if (auth === 'htpasswd' && username !== undefined && password !== undefined) {
      const path = join(rootDir, 'htpasswd');
      // -i reads the password from stdin so it never shows in a process list.
      const line = await runCommand('htpasswd', ['-Bin', username], { stdin: `${password}\n` });
      await writeFile(path, line.stdout);
      config['auth'] = { htpasswd: { realm: 'image-cloner-test', path } };
    }
    if (auth === 'token' && pki !== undefined && username !== undefined && password !== undefined) {
      tokenServer = await startTokenServer(pki, { users: { [username]: password }, ...options.token });
      config['auth'] = {
        token: {
          realm: tokenServer.realm,
          service: tokenServer.service,
          issuer: tokenServer.issuer,
          rootcertbundle: pki.ca.certFile,
        },
      };
    }
    options.configure?.(config);
    const configFile = join(rootDir, 'config.yml');
    await writeFile(configFile, JSON.stringify(config, null, 2));
    let certDir: string | undefined;
    if (pki !== undefined) {
      certDir = join(rootDir, 'certs');
      await mkdir(certDir);
      await writeFile(join(certDir, 'ca.crt'), pki.ca.certPem);
    }

    const spawnRegistry = (): ReturnType<typeof spawnManaged> =>
      spawnManaged('docker-registry', ['serve', configFile], {
        name: 'docker-registry',
        env: registryEnv(),
        maxOutputBytes: options.maxLogBytes ?? 1024 * 1024,
      });
    let child = spawnRegistry();
    /** Output of the processes before a resume(), so logs() reads as one log. */
    let earlierLogs = '';
    const stop = async (): Promise<void> => {
      await child.stop();
      await tokenServer?.stop();
      await removeTempDir(rootDir);
    };
    try {
      const match = await child.waitForLine(/listening on (127\.0\.0\.1):(\d+)/, options.startTimeoutMs ?? 10_000);
      const port = Number(match[2]);
      const host = `127.0.0.1:${port}`;
      const url = `${tls ? 'https' : 'http'}://${host}`;
      await probe(url, pki?.ca.certPem);
      const halt = async (haltOptions: { readonly kill?: boolean } = {}): Promise<void> => {
        await child.stop(haltOptions.kill === true ? 0 : undefined);
      };
      const resume = async (): Promise<void> => {
        if (child.isRunning()) throw new Error('resume(): the registry is running');
        earlierLogs += child.output();
        // The same port this time: clients hold references with it.
        (config['http'] as Record<string, unknown>)['addr'] = host;
        await writeFile(configFile, JSON.stringify(config, null, 2));
        child = spawnRegistry();
        await child.waitForLine(/listening on 127\.0\.0\.1:\d+/, options.startTimeoutMs ?? 10_000);
        await probe(url, pki?.ca.certPem);
      };
      return {
        host, port, url, tls, auth, pki,
        caFile: pki?.ca.certFile,
        caPem: pki?.ca.certPem,
        certDir, username, password, tokenServer, rootDir, configFile,
        get pid() {
          return child.pid;
        },
        ref: (repo, tagOrDigest) => `${host}/${repo}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`,
        logs: () => earlierLogs + child.output(),
        halt,
        resume,
        stop,
      };
    } catch (error) {
      await child.stop();
      throw error;
    }
  } catch (error) {
    await tokenServer?.stop();
    await removeTempDir(rootDir);
    throw error;
  }
}

/** Our environment minus REGISTRY_*, which would override the config file. */
function registryEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('REGISTRY_')) env[key] = value;
  return env;
}

/** `GET /v2/` must answer 200 or 401 before tests may use the registry. */
async function probe(url: string, caPem: string | undefined): Promise<void> {
  const dispatcher = new Agent({ connect: caPem === undefined ? {} : { ca: caPem }, connectTimeout: 2_000 });
  try {
    const res = await request(`${url}/v2/`, { dispatcher, headersTimeout: 5_000, bodyTimeout: 5_000 });
    await res.body.dump();
    if (res.statusCode !== 200 && res.statusCode !== 401) throw new Error(`GET ${url}/v2/ answered ${res.statusCode}`);
  } finally {
    await dispatcher.close();
  }
}
