/**
 * The registries an end-to-end webhook test needs: a plain-HTTP source (the
 * real docker-registry, anonymous) and a TLS + htpasswd backup (the real
 * docker-registry with the test CA), plus a docker config.json with the
 * backup's credentials, as mounted from a `kubernetes.io/dockerconfigjson`
 * Secret. Also the backup name the webhook must write, computed here
 * independently of src/core/backup-naming.ts from the documented rule:
 * `BACKUP/<source host, ":" written "_">/<path>[:tag]@<digest>`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry } from './registry-server.js';
import type { TestRegistry } from './registry-server.js';
import { makeTempDir } from './temp-dirs.js';

export interface MirrorWorld {
  readonly source: TestRegistry;
  readonly backup: TestRegistry;
  /** A docker config.json holding the backup's credentials under `backup.host` (and any extra hosts given). */
  readonly authFile: string;
  stop(): Promise<void>;
}

export async function startMirrorWorld(): Promise<MirrorWorld> {
  const [source, backup] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'htpasswd' })]);
  try {
    const authFile = await writeDockerConfig([backup.host], backup);
    return {
      source,
      backup,
      authFile,
      stop: async () => {
        await Promise.all([source.stop(), backup.stop()]);
      },
    };
  } catch (error) {
    await Promise.all([source.stop(), backup.stop()]);
    throw error;
  }
}

/** A docker config.json in a fresh temp dir with `auth` (base64 user:password) for each host. */
export async function writeDockerConfig(
  hosts: readonly string[],
  creds: { readonly username: string | undefined; readonly password: string | undefined },
): Promise<string> {
  if (creds.username === undefined || creds.password === undefined) throw new Error('writeDockerConfig: no credentials');
  const auth = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
  const file = join(makeTempDir('dockerconfig'), '.dockerconfigjson');
  await writeFile(file, JSON.stringify({ auths: Object.fromEntries(hosts.map((host) => [host, { auth }])) }));
  return file;
}

/**
 * The reference the webhook must write for `sourceHost/repo[:tag]` copied
 * with `digest`: nested layout, port written with "_", tag kept, pinned to
 * the digest.
 */
export function expectedBackupRef(
  backupHost: string,
  source: { readonly host: string; readonly repo: string; readonly tag?: string | undefined },
  digest: string,
): string {
  const tag = source.tag === undefined ? '' : `:${source.tag}`;
  return `${backupHost}/${source.host.replace(':', '_')}/${source.repo}${tag}@${digest}`;
}

/** The backup repository of `sourceHost/repo`. */
export function expectedBackupRepo(source: { readonly host: string; readonly repo: string }): string {
  return `${source.host.replace(':', '_')}/${source.repo}`;
}
