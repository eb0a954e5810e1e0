/**
 * `openssl verify` as a second, independent verifier, at a chosen time (for
 * certificates made with an injected clock, which Node's TLS stack would
 * call not yet valid): chain to the bundle, serverAuth purpose, and the DNS
 * name the API server asks for.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './processes.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export async function opensslVerifies(caBundlePem: string, certPem: string, atMs: number, hostname: string): Promise<boolean> {
  const dir = makeTempDir('verify');
  try {
    await writeFile(join(dir, 'ca.crt'), caBundlePem);
    await writeFile(join(dir, 'tls.crt'), certPem);
    const args = ['verify', '-attime', String(Math.floor(atMs / 1000)), '-purpose', 'sslserver', '-verify_hostname', hostname];
    await runCommand('openssl', [...args, '-CAfile', join(dir, 'ca.crt'), join(dir, 'tls.crt')]);
    return true;
  } catch {
    return false;
  } finally {
    await removeTempDir(dir);
  }
}
