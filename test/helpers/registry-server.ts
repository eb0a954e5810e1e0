/**
 * The real distribution registry (Debian `docker-registry`, 2.8.2) on a
 * loopback port chosen by the kernel. Registry 2.8.2 accepts
 * `http.addr: 127.0.0.1:0` and logs the bound address ("listening on
 * 127.0.0.1:PORT[, tls]"), so no port is guessed. The config is written as
 * JSON, which the registry's YAML parser reads as-is.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { runCommand, spawnManaged } from './processes.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { sharedTestPki } from './tls.js';
import type { TestPki } from './tls.js';
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
  /** The registry's log so far (bounded; it logs to stderr). */
  logs(): string;
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
    const password = auth === 'none' ? undefined : randomBytes(12).toString('base64url');
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
        secret: randomBytes(16).toString('hex'),
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

    const child = spawnManaged('docker-registry', ['serve', configFile], {
      name: 'docker-registry',
      env: registryEnv(),
      maxOutputBytes: 1024 * 1024,
    });
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
      return {
        host, port, url, tls, auth, pki,
        caFile: pki?.ca.certFile,
        caPem: pki?.ca.certPem,
        certDir, username, password, tokenServer, rootDir, configFile,
        pid: child.pid,
        ref: (repo, tagOrDigest) => `${host}/${repo}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`,
        logs: () => child.output(),
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
