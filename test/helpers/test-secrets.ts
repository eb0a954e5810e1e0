/**
 * Every credential the suite hands to a real peer, declared here: registry
 * passwords (htpasswd and token server users), the token server's refresh
 * and access tokens, the test PKI's private keys (TLS and token signing),
 * the Kubernetes stand-in's service-account token. Helpers mint or register
 * them through this module, which records each one (in this process and, when
 * scripts/run-tests.mjs set IMAGE_CLONER_TEST_LOG_DIR, in that directory) so
 * that the runner can scan everything the test file and its children printed
 * for them: `findLeaks` is the one scanning function, used by the runner and
 * by test/security/credential-scan.test.ts.
 *
 * Values are random per process, so a secret can only show up in the output
 * of the test file that minted it: the runner scans each file's output for
 * that file's secrets alone.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * - `password`: raw, base64 (at any alignment), and with `username` the
 *   `user:password` base64 that Basic auth and docker config.json `auth` carry,
 *   itself base64'd again as in a Secret's `.dockerconfigjson`;
 * - `token`: raw and base64;
 * - `jwt`: raw only (it is base64url already; many are issued, so they are
 *   matched by shape, not searched one by one);
 * - `private-key`: a PEM private key, found by its first body line.
 */
export type SecretKind = 'password' | 'token' | 'jwt' | 'private-key';

const TestSecretSchema = z.object({
  label: z.string(),
  kind: z.enum(['password', 'token', 'jwt', 'private-key']),
  value: z.string(),
  username: z.string().optional(),
});
export type TestSecret = z.infer<typeof TestSecretSchema>;

/** The directory the runner gives each test file for its children's logs and its secrets. */
export const LOG_DIR_ENV = 'IMAGE_CLONER_TEST_LOG_DIR';
export const SECRETS_FILE = 'secrets.jsonl';

const registered: TestSecret[] = [];

/** Records `value` as a secret of this process; returns it. */
export function registerTestSecret(label: string, kind: SecretKind, value: string, username?: string): string {
  const secret: TestSecret = { label, kind, value, ...(username === undefined ? {} : { username }) };
  registered.push(secret);
  const dir = process.env[LOG_DIR_ENV];
  if (dir !== undefined && dir !== '') {
    mkdirSync(dir, { recursive: true });
    // One small O_APPEND write per secret: whole lines even with several writers.
    appendFileSync(join(dir, SECRETS_FILE), `${JSON.stringify(secret)}\n`);
  }
  return value;
}

/** A fresh random password or token (base64url, never shorter than 16 characters), registered. */
export function mintTestSecret(label: string, kind: 'password' | 'token', options: { readonly username?: string; readonly bytes?: number } = {}): string {
  return registerTestSecret(label, kind, randomBytes(Math.max(12, options.bytes ?? 18)).toString('base64url'), options.username);
}

/** The secrets this process registered so far. */
export function registeredTestSecrets(): readonly TestSecret[] {
  return registered;
}

/** The secrets recorded in a runner log directory (none if it has no secrets file). */
export function readRecordedSecrets(dir: string): TestSecret[] {
  let text: string;
  try {
    text = readFileSync(join(dir, SECRETS_FILE), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => TestSecretSchema.parse(JSON.parse(line)));
}

export interface Leak {
  readonly label: string;
  /** Which form was found: `raw`, `base64`, `basic` (base64 of user:password)... never the value. */
  readonly form: string;
}

/** Shorter fragments could match by chance in megabytes of logs. */
const MIN_FRAGMENT = 12;
const JWT_SHAPE = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g;

/**
 * The base64 text of `value` as it appears inside any longer base64'd
 * string: one fragment per byte alignment (0, 1, 2), trimmed to the
 * characters that depend on `value` alone (RFC 4648 section 4 groups 3 bytes
 * into 4 characters).
 */
export function base64Fragments(value: string, encoding: 'base64' | 'base64url'): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(encoding);
    const fragment = encoded.slice(shift === 0 ? 0 : 4, Math.floor((shift + bytes.length) / 3) * 4);
    if (fragment.length >= MIN_FRAGMENT) out.push(fragment);
  }
  return out;
}

/** Every form of `secret` to look for, each with its name. */
export function secretForms(secret: TestSecret): Array<{ readonly form: string; readonly text: string }> {
  const forms: Array<{ form: string; text: string }> = [];
  const encoded = (form: string, value: string): void => {
    for (const text of base64Fragments(value, 'base64')) forms.push({ form: `${form} base64`, text });
    for (const text of base64Fragments(value, 'base64url')) forms.push({ form: `${form} base64url`, text });
  };
  switch (secret.kind) {
    case 'private-key': {
      const line = secret.value.split('\n').find((l) => l !== '' && !l.startsWith('-----'));
      if (line !== undefined && line.length >= MIN_FRAGMENT) forms.push({ form: 'PEM body', text: line });
      return forms;
    }
    case 'jwt':
      forms.push({ form: 'raw', text: secret.value });
      return forms;
    case 'password':
    case 'token': {
      forms.push({ form: 'raw', text: secret.value });
      encoded('raw', secret.value);
      if (secret.username !== undefined) {
        // `Authorization: Basic <b64>` and docker config.json `auth`; a Secret's data base64s that again.
        const basic = Buffer.from(`${secret.username}:${secret.value}`).toString('base64');
        forms.push({ form: 'basic', text: basic });
        encoded('basic', basic);
      }
      return forms;
    }
  }
}

/** Which of `secrets` appear in `text`, in any of their forms; one entry per secret and form found. */
export function findLeaks(text: string, secrets: readonly TestSecret[]): Leak[] {
  const leaks: Leak[] = [];
  const jwts = new Map<string, string>();
  for (const secret of secrets) {
    if (secret.kind === 'jwt') {
      jwts.set(secret.value, secret.label);
      continue;
    }
    const seen = new Set<string>();
    for (const { form, text: needle } of secretForms(secret)) {
      if (!seen.has(form) && text.includes(needle)) {
        seen.add(form);
        leaks.push({ label: secret.label, form });
      }
    }
  }
  if (jwts.size > 0) {
    const found = new Set<string>();
    for (const match of text.matchAll(JWT_SHAPE)) {
      const label = jwts.get(match[0]);
      if (label !== undefined && !found.has(match[0])) {
        found.add(match[0]);
        leaks.push({ label, form: 'raw' });
      }
    }
  }
  return leaks;
}
