/**
 * skopeo (1.9) as a second, independent opinion on what a registry holds.
 * Isolation: anonymous calls pass --no-creds and every call points
 * REGISTRY_AUTH_FILE at a file that does not exist, so credentials stored on
 * this machine never leak in; copies use --insecure-policy (no
 * /etc/containers/policy.json dependence). Passwords travel only as
 * arguments and are redacted from error messages.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Digest } from './layers.js';
import type { Credentials } from './peer-client.js';
import { runCommand } from './processes.js';
import { makeTempDir } from './temp-dirs.js';

export interface SkopeoEndpoint {
  /** Default true: https with verification. False allows plain http. */
  readonly tlsVerify?: boolean;
  /** A directory with the CA as `ca.crt` (see TestRegistry.certDir). */
  readonly certDir?: string | undefined;
  readonly creds?: Credentials | undefined;
}

export interface SkopeoCopyOptions {
  readonly all?: boolean;
  readonly src?: SkopeoEndpoint;
  readonly dest?: SkopeoEndpoint;
  readonly timeoutMs?: number;
}

let available: boolean | undefined;

export function hasSkopeo(): boolean {
  available ??= spawnSync('skopeo', ['--version'], { stdio: 'ignore' }).status === 0;
  return available;
}

/** What skopeo needs for a TestRegistry: TLS verify with its cert dir, and its test user. */
export function skopeoEndpointFor(registry: {
  readonly tls: boolean;
  readonly certDir: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
}): SkopeoEndpoint {
  return {
    tlsVerify: registry.tls,
    certDir: registry.certDir,
    creds:
      registry.username !== undefined && registry.password !== undefined
        ? { username: registry.username, password: registry.password }
        : undefined,
  };
}

/**
 * A fresh temp dir holding `caPem` as ca.crt, for --cert-dir (removed at
 * process exit, or earlier with removeTempDir).
 */
export async function makeCertDir(caPem: string): Promise<string> {
  const dir = makeTempDir('certs');
  await writeFile(join(dir, 'ca.crt'), caPem);
  return dir;
}

function endpointArgs(prefix: '' | 'src-' | 'dest-', endpoint: SkopeoEndpoint): string[] {
  const args = [`--${prefix}tls-verify=${String(endpoint.tlsVerify ?? true)}`];
  if (endpoint.certDir !== undefined) args.push(`--${prefix}cert-dir`, endpoint.certDir);
  if (endpoint.creds !== undefined) {
    args.push(`--${prefix}creds`, `${endpoint.creds.username}:${endpoint.creds.password}`);
  } else {
    args.push(`--${prefix}no-creds`);
  }
  return args;
}

function secrets(...endpoints: (SkopeoEndpoint | undefined)[]): string[] {
  return endpoints.flatMap((e) => (e?.creds === undefined ? [] : [e.creds.password]));
}

let emptyAuthFile: string | undefined;

function isolatedEnv(): NodeJS.ProcessEnv {
  // A path in our own fresh dir, so it surely does not exist.
  emptyAuthFile ??= join(makeTempDir('skopeo'), 'auth.json');
  return { ...process.env, REGISTRY_AUTH_FILE: emptyAuthFile };
}

function dockerRef(ref: string): string {
  return /^(docker|oci|oci-archive|dir|docker-archive):/.test(ref) ? ref : `docker://${ref}`;
}

/** `skopeo inspect --raw`: the manifest bytes exactly as served, and their digest. */
export async function skopeoInspectRaw(
  ref: string,
  options: SkopeoEndpoint & { readonly timeoutMs?: number } = {},
): Promise<{ bytes: Buffer; digest: string }> {
  const result = await runCommand('skopeo', ['inspect', '--raw', ...endpointArgs('', options), dockerRef(ref)], {
    env: isolatedEnv(),
    timeoutMs: options.timeoutMs ?? 60_000,
    redact: secrets(options),
  });
  return { bytes: result.stdout, digest: sha256Digest(result.stdout) };
}

/** `skopeo copy`; refs without a transport get `docker://`. */
export async function skopeoCopy(src: string, dest: string, options: SkopeoCopyOptions = {}): Promise<void> {
  const args = [
    '--insecure-policy', 'copy', '--retry-times', '0',
    ...(options.all === true ? ['--all'] : []),
    ...endpointArgs('src-', options.src ?? {}),
    ...endpointArgs('dest-', options.dest ?? {}),
    dockerRef(src),
    dockerRef(dest),
  ];
  await runCommand('skopeo', args, {
    env: isolatedEnv(),
    timeoutMs: options.timeoutMs ?? 120_000,
    redact: secrets(options.src, options.dest),
  });
}
