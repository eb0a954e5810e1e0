/**
 * The suite-wide credential scan (scripts/run-tests.mjs with
 * test/helpers/test-secrets.ts `findLeaks`) can fail: it finds a secret a
 * child process printed in each form a credential travels in (raw, base64 at
 * any alignment, `Basic base64(user:password)`, a docker config.json inside a
 * Secret's base64 data), it stays quiet on output without one, and the runner
 * turns a leak into a failed test named after the file.
 *
 * The secrets printed here are made up on the spot and never registered, so
 * this file's own output passes the runner's scan; the leaking fixture runs
 * in an inner runner with its own log directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerConfigJsonSecret } from '../helpers/pull-secrets.js';
import { runCommand, spawnManaged } from '../helpers/processes.js';
import { LOG_DIR_ENV, findLeaks, readRecordedSecrets } from '../helpers/test-secrets.js';
import type { TestSecret } from '../helpers/test-secrets.js';

const test = suite('security: credential scan');

const USER = 'scan-user';

/** What a child prints when given `PW`: one line per form a credential takes. */
const PRINTERS: ReadonlyArray<readonly [string, string, string]> = [
  ['raw', 'raw', 'console.log("password=" + process.env.PW)'],
  ['base64', 'raw base64', 'console.log(Buffer.from(process.env.PW).toString("base64"))'],
  ['base64 inside a longer text, off alignment', 'raw base64', 'console.log(Buffer.from("x" + process.env.PW + "y").toString("base64"))'],
  ['a Basic header', 'basic', 'console.log("Authorization: Basic " + Buffer.from("scan-user:" + process.env.PW).toString("base64"))'],
  ['a Secret carrying a docker config.json', 'basic base64', 'console.log(process.env.SECRET_DATA)'],
];

async function childOutput(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawnManaged(process.execPath, ['-e', script], { name: 'printer', env });
  await child.waitForLine(/./, 10_000);
  assert.equal(await child.exited, { code: 0, signal: null });
  return child.output();
}

/** Like a minted test secret, but unregistered: printing it is the point here. */
const unregistered = (): string => randomBytes(18).toString('base64url');
const secretOf = (value: string): TestSecret => ({ label: 'scan test password', kind: 'password', value, username: USER });

for (const [name, form, script] of PRINTERS) {
  test(`a child printing the password as ${name}: found, as "${form}"`, async () => {
    const password = unregistered();
    const secret = dockerConfigJsonSecret('pull', { '127.0.0.1:5000': { username: USER, password } });
    const data = JSON.stringify(secret['data']);
    const output = await childOutput(script, { PW: password, SECRET_DATA: data });
    const leaks = findLeaks(output, [secretOf(password)]);
    assert.ok(leaks.some((l) => l.form === form), `${form} in ${JSON.stringify(leaks)}`);
    assert.ok(leaks.every((l) => l.label === 'scan test password'));
  });
}

test('output with other secrets, hashes and JWTs of other tokens: no leak', async () => {
  const password = unregistered();
  const other = unregistered();
  const jwt = `eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzY2FuIn0.${unregistered()}`;
  const output = await childOutput('console.log(process.env.OTHER, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.c2ln")', { OTHER: other });
  assert.equal(findLeaks(output, [secretOf(password), { label: 'a bearer token', kind: 'jwt', value: jwt }]), []);
  // The same JWT, printed: found by shape.
  const printed = await childOutput('console.log("token", process.env.JWT)', { JWT: jwt });
  assert.equal(findLeaks(printed, [{ label: 'a bearer token', kind: 'jwt', value: jwt }]), [{ label: 'a bearer token', form: 'raw' }]);
});

test('a private key is found by its PEM body', async () => {
  const { stdout } = await runCommand('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const pem = stdout.toString('utf8');
  const key: TestSecret = { label: 'a key', kind: 'private-key', value: pem };
  assert.equal(findLeaks(`log line\n${pem}\n`, [key]), [{ label: 'a key', form: 'PEM body' }]);
  assert.equal(findLeaks('-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n', [key]), []);
});

test('the runner: a leaking child fails the run with the file named; a quiet one passes', async () => {
  const logRoot = mkdtempSync(join(tmpdir(), 'credential-scan-'));
  try {
    const files = ['test/security/fixtures/leaky-child.test.ts', 'test/security/fixtures/quiet-child.test.ts'];
    const runner = spawnManaged(process.execPath, ['scripts/run-tests.mjs', ...files], {
      name: 'inner-run-tests',
      env: { ...process.env, [LOG_DIR_ENV]: logRoot, TEST_JOBS: '2' },
    });
    await runner.waitForLine(/^tests: /, 120_000);
    assert.equal(await runner.exited, { code: 1, signal: null });
    const run = runner.output();
    assert.match(run, /tests: 2 passed, 1 failed\n?$/, 'the counts, still the last line');
    assert.match(run, /!! credential scan: test\/security\/fixtures\/leaky-child\.test\.ts: leaky fixture password \(basic\) in children\/leaky-child-\d+\.log/);
    assert.match(run, /!! credential scan: test\/security\/fixtures\/leaky-child\.test\.ts FAILED/);
    assert.not.match(run, /quiet-child\.test\.ts:/);
    // The leaking file's logs are kept for whoever investigates; the clean one's are gone.
    const kept = readdirSync(logRoot);
    assert.equal(kept, ['test_security_fixtures_leaky-child.test.ts']);
    const [leaked] = readRecordedSecrets(join(logRoot, kept[0] ?? ''));
    assert.is(leaked?.label, 'leaky fixture password');
    // The report names the secret, never shows it.
    assert.not.ok(run.includes(leaked?.value ?? '<none>'));
  } finally {
    rmSync(logRoot, { recursive: true, force: true });
  }
});

test.run();
