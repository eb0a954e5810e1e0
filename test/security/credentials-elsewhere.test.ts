/**
 * Credentials stay where they belong, seen from outside a real `serve`
 * process configured with REGISTRY_AUTH_FILE: three private sources (TLS +
 * htpasswd; token auth with its realm on another origin; htpasswd with a
 * wrong password in the file) and a TLS + htpasswd backup, each with its own
 * user. After an admission whose copies succeed and fail, no test secret
 * (test/helpers/test-secrets.ts: passwords in every form, issued bearer
 * tokens, private keys) is in the admission warnings, /metrics, the serve
 * log at debug level or the registries' logs; and the token realm got only
 * the credentials of its own registry.
 *
 * Redirects to another origin (a blob GET sent to a CDN gets no
 * Authorization, Basic or Bearer, and https to http or userinfo Locations are
 * refused) are covered by test/registry/faults.test.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import { lazyFixture } from '../helpers/fixture.js';
import { httpsRequest } from '../helpers/https-client.js';
import { makeSimpleImage, pushImage } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { TestRegistry } from '../helpers/registry-server.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import type { Admitted, ServeWebhook } from '../helpers/serve-webhook.js';
import { makeTempDir } from '../helpers/temp-dirs.js';
import { findLeaks, mintTestSecret, registeredTestSecrets } from '../helpers/test-secrets.js';

interface World {
  readonly basic: TestRegistry;
  readonly token: TestRegistry;
  readonly wrong: TestRegistry;
  readonly backup: TestRegistry;
  readonly serve: ServeWebhook;
  readonly admitted: Admitted;
  stop(): Promise<void>;
}

const world = lazyFixture<World>(
  async () => {
    const registries = await Promise.all([
      startRegistry({ auth: 'htpasswd', username: 'alpha-user' }),
      startRegistry({ auth: 'token', username: 'bravo-user' }),
      startRegistry({ auth: 'htpasswd', username: 'charlie-user' }),
      startRegistry({ auth: 'htpasswd', username: 'backup-user' }),
    ]);
    const [basic, token, wrong, backup] = registries;
    const stopRegistries = (): Promise<unknown> => Promise.all(registries.map((r) => r.stop()));
    try {
      const image = await makeSimpleImage('oci', { seed: 'credentials-elsewhere' });
      await Promise.all([basic, token, wrong].map((r) => pushImage(r, 'team/app', '1.0', image)));
      token.tokenServer?.clearRequests(); // from here on, only the webhook asks
      // A wrong password for `wrong`, registered too: it must not leak either.
      const wrongPassword = mintTestSecret('wrong password in the auth file', 'password', { username: 'charlie-user' });
      const auth = (user: string | undefined, password: string | undefined): { auth: string } => ({
        auth: Buffer.from(`${user ?? ''}:${password ?? ''}`).toString('base64'),
      });
      const authFile = join(makeTempDir('credentials-elsewhere'), 'config.json');
      await writeFile(
        authFile,
        JSON.stringify({
          auths: {
            [basic.host]: auth(basic.username, basic.password),
            [token.host]: auth(token.username, token.password),
            [wrong.host]: auth(wrong.username, wrongPassword),
            [backup.host]: auth(backup.username, backup.password),
          },
        }),
      );
      const serve = await startServeWebhook(
        { BACKUP_REGISTRY: backup.host, REGISTRY_AUTH_FILE: authFile, REGISTRY_CA_FILE: backup.caFile ?? '', LOG_LEVEL: 'debug' },
        'serve-credentials',
      );
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'private', namespace: 'default' },
        spec: {
          containers: [
            { name: 'basic', image: basic.ref('team/app', '1.0') },
            { name: 'token', image: token.ref('team/app', '1.0') },
            { name: 'wrong', image: wrong.ref('team/app', '1.0') },
          ],
        },
      };
      const admitted = await serve.admit(buildAdmissionReview(pod));
      return {
        basic, token, wrong, backup, serve, admitted,
        stop: async () => {
          await serve.stop();
          await stopRegistries();
        },
      };
    } catch (error) {
      await stopRegistries();
      throw error;
    }
  },
  (w) => w.stop(),
);

const test = suite('security: credentials stay out of logs, metrics, warnings and other origins');
test.after(() => world.dispose());

test('the admission copied two images and warned about the third (so there was something to leak)', async () => {
  const { admitted, basic, token, wrong } = await world.get();
  const patched = JSON.stringify(admitted.response.patch ?? []);
  assert.ok(patched.includes(`${basic.host.replace(':', '_')}/team/app`), patched);
  assert.ok(patched.includes(`${token.host.replace(':', '_')}/team/app`), patched);
  assert.not.ok(patched.includes(`${wrong.host.replace(':', '_')}/team/app`), patched);
  assert.is(admitted.response.warnings.length, 1, JSON.stringify(admitted.response.warnings));
  assert.match(admitted.response.warnings[0] ?? '', new RegExp(wrong.host.replace(/\./g, '\\.')));
});

test('no secret in warnings, /metrics, the serve log (debug) or any registry log', async () => {
  const w = await world.get();
  const metrics = await httpsRequest(w.serve.target, { path: '/metrics' });
  assert.is(metrics.status, 200);
  assert.match(metrics.body, /^image_cloner_copies_finished_total\{/m);
  // Log lines reach stdout in batches (src/server/line-batcher.ts): wait for the line rather than race it.
  if (!/"msg":"copy finished"/.test(w.serve.process.output())) await w.serve.process.waitForLine(/"msg":"copy finished"/, 5_000);
  const sources: ReadonlyArray<readonly [string, string]> = [
    ['warnings', JSON.stringify(w.admitted.response)],
    ['metrics', metrics.body],
    ['serve log', w.serve.process.output()],
    ...[w.basic, w.token, w.wrong, w.backup].map((r): [string, string] => [`registry ${r.host} log`, r.logs()]),
  ];
  const secrets = registeredTestSecrets();
  // Passwords of all four users, the wrong one, the registries' http secrets,
  // the PKI's private keys, and the bearer tokens the token server issued.
  assert.ok(secrets.filter((s) => s.kind === 'password').length >= 5, JSON.stringify(secrets.map((s) => s.label)));
  assert.ok(secrets.some((s) => s.kind === 'jwt'), 'bearer tokens were issued');
  for (const [name, text] of sources) assert.equal(findLeaks(text, secrets), [], name);
  // Nor any Authorization header, whatever its credentials.
  for (const [name, text] of sources) assert.not.match(text, /\b(Basic|Bearer) [A-Za-z0-9+/=._-]{8,}/, name);
});

test('the token realm, on another origin, got the credentials of its own registry only', async () => {
  const { token } = await world.get();
  const requests = token.tokenServer?.requests ?? [];
  assert.ok(requests.length > 0, 'the copy asked for tokens');
  for (const r of requests) {
    assert.is(r.username, 'bravo-user', 'the realm never sees another registry user');
    assert.ok(r.hadBasicAuth || r.grantType === 'password', 'authenticated, as the spec has it');
    assert.is(r.status, 200);
  }
  // Pull only: the webhook never asks a source for more than it needs.
  for (const r of requests) for (const scope of r.scopes) assert.match(scope, /^repository:team\/app:pull$/);
});

test.run();
