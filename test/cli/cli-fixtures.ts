/**
 * Shared pieces of the CLI tests: authfiles, the one-line error contract,
 * the "no secret in the output" check, and asking a registry what it holds.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { CliResult } from '../helpers/built-cli.js';
import { PeerSession } from '../helpers/peer-client.js';
import type { PeerTarget } from '../helpers/peer-client.js';

export interface AuthEntry {
  readonly host: string;
  readonly username: string;
  readonly password: string;
}

export interface AuthFile {
  readonly file: string;
  /** Everything that must never be printed: each password and each base64 `auth` value. */
  readonly secrets: readonly string[];
}

/** A docker config.json with one `auth` (base64 of user:password) per registry. */
export async function writeAuthFile(dir: string, name: string, entries: readonly AuthEntry[]): Promise<AuthFile> {
  const auths: Record<string, { auth: string }> = {};
  const secrets: string[] = [];
  for (const e of entries) {
    const auth = Buffer.from(`${e.username}:${e.password}`).toString('base64');
    auths[e.host] = { auth };
    secrets.push(e.password, auth);
  }
  const file = join(dir, name);
  await writeFile(file, JSON.stringify({ auths }, null, 2), { mode: 0o600 });
  return { file, secrets };
}

/** A JWT (what the token server issues): base64url of `{"` starts with `eyJ`. */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

export function assertNoSecrets(result: CliResult, secrets: readonly string[]): void {
  for (const [stream, text] of [['stdout', result.stdout], ['stderr', result.stderr]] as const) {
    for (const secret of secrets) {
      assert.not.ok(text.includes(secret), `${stream} contains a credential`);
    }
    assert.not.match(text, JWT, `${stream} contains a token`);
  }
}

/**
 * The CLI's failure contract: exit status, nothing on stdout (with --json),
 * and stderr exactly one line `image-cloner: <message> [CODE]` that names
 * what failed.
 */
export function assertOneErrorLine(
  result: CliResult,
  expected: { readonly exit: number; readonly code: string; readonly mentions: readonly string[] },
): string {
  const shown = `exit ${String(result.code)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  assert.is(result.code, expected.exit, shown);
  assert.is(result.stdout, '', shown);
  assert.ok(result.stderr.endsWith('\n'), shown);
  const lines = result.stderr.slice(0, -1).split('\n');
  assert.is(lines.length, 1, shown);
  const line = lines[0] ?? '';
  assert.ok(line.startsWith('image-cloner: '), shown);
  assert.ok(line.endsWith(` [${expected.code}]`), shown);
  for (const mention of expected.mentions) assert.ok(line.includes(mention), `error line does not name ${mention}: ${line}`);
  return line;
}

/** HEAD a manifest with the independent peer: 200 or 404. */
export async function manifestStatus(target: PeerTarget, repo: string, reference: string): Promise<number> {
  const credentials =
    target.username !== undefined && target.password !== undefined ? { username: target.username, password: target.password } : undefined;
  const peer = new PeerSession(target, credentials, [`repository:${repo}:pull`]);
  try {
    const res = await peer.send('HEAD', `/v2/${repo}/manifests/${reference}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
      expect: [200, 404],
    });
    return res.status;
  } finally {
    await peer.close();
  }
}

/** A loopback port nothing listens on: bound by us, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
