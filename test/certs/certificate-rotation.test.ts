/**
 * The running webhook's certificate check: the replica that finds its
 * certificate due renews it and hands it to the server; another replica
 * picks the new pair up from the Secret (by its own timer too); a caBundle
 * someone reset is set again; a failed check keeps the current pair and
 * never rejects; stop() ends the timers.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startCertificateRotation } from '../../src/certs/certificate-rotation.js';
import { ensureServingCertificate } from '../../src/certs/ensure-serving-certificate.js';
import type { EnsureCertificateOptions, ServingCertificate } from '../../src/certs/ensure-serving-certificate.js';
import { waitFor } from '../helpers/processes.js';
import type { JsonObject } from '../helpers/kube-api-stand-in.js';
import { CONFIGURATION, NAMESPACE, SECRET, SERVICE, startKubeHarness, webhookConfiguration } from '../helpers/kube-harness.js';
import type { KubeHarness } from '../helpers/kube-harness.js';

interface Replica {
  readonly changes: ServingCertificate[];
  readonly warnings: string[];
  readonly options: EnsureCertificateOptions;
}

function replica(h: KubeHarness, clock: { now: number }): Replica {
  const warnings: string[] = [];
  const options: EnsureCertificateOptions = {
    kube: h.client(),
    namespace: NAMESPACE,
    secretName: SECRET,
    serviceName: SERVICE,
    webhookConfigurationName: CONFIGURATION,
    now: () => clock.now,
    logger: { info: () => {}, warn: (msg, fields) => warnings.push(`${msg} ${JSON.stringify(fields)}`) },
  };
  return { changes: [], warnings, options };
}

const rotation = suite('startCertificateRotation');
let current: KubeHarness | undefined;
const stops: Array<() => void> = [];
rotation.after.each(async () => {
  for (const stop of stops.splice(0)) stop();
  await current?.close();
  current = undefined;
});

rotation('the due replica renews and swaps; the other picks the same pair up', async () => {
  const h = (current = await startKubeHarness());
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  const clock = { now: Date.now() };
  const a = replica(h, clock);
  const b = replica(h, clock);
  const initialA = await ensureServingCertificate(a.options);
  const initialB = await ensureServingCertificate(b.options);
  assert.is(initialA.certPem, initialB.certPem);
  const rotA = startCertificateRotation({ ...a.options, initial: initialA, onChange: (c) => a.changes.push(c) });
  const rotB = startCertificateRotation({ ...b.options, initial: initialB, onChange: (c) => b.changes.push(c) });
  stops.push(rotA.stop, rotB.stop);

  await rotA.checkNow();
  assert.is(a.changes.length, 0, 'nothing due yet');
  clock.now = initialA.renewAt + 1;
  const renewed = await rotA.checkNow();
  assert.is(a.changes.length, 1);
  assert.is(a.changes[0]?.certPem, renewed.certPem);
  assert.is.not(renewed.certPem, initialA.certPem);
  const picked = await rotB.checkNow();
  assert.is(picked.certPem, renewed.certPem);
  assert.is(b.changes.length, 1);
  assert.is(picked.secret, 'reused', 'B read what A wrote');
});

rotation('a replica notices another replica\'s renewal by its own timer', async () => {
  const h = (current = await startKubeHarness());
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  const clock = { now: Date.now() };
  const a = replica(h, clock);
  const initial = await ensureServingCertificate(a.options);
  const rot = startCertificateRotation({ ...a.options, initial, onChange: (c) => a.changes.push(c), intervalMs: 1_000 });
  stops.push(rot.stop);
  // Another replica, whose clock says the certificate is due, renews it.
  const renewed = await ensureServingCertificate({ ...replica(h, { now: initial.renewAt }).options });
  assert.is(renewed.secret, 'renewed');
  const seen = await waitFor(() => a.changes[0], 5_000, { what: 'the timer to pick up the new certificate' });
  assert.is(seen.certPem, renewed.certPem);
});

rotation('a caBundle someone reset is patched again on the next check', async () => {
  const h = (current = await startKubeHarness());
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  const a = replica(h, { now: Date.now() });
  const initial = await ensureServingCertificate(a.options);
  const rot = startCertificateRotation({ ...a.options, initial, onChange: (c) => a.changes.push(c) });
  stops.push(rot.stop);
  h.api.putMutatingWebhookConfiguration(webhookConfiguration()); // re-created without caBundle
  const after = await rot.checkNow();
  assert.is(after.caBundle, 'patched');
  const stored = h.api.mutatingWebhookConfiguration(CONFIGURATION) as { webhooks: Array<{ clientConfig: JsonObject }> };
  assert.is(Buffer.from(String(stored.webhooks[0]?.clientConfig['caBundle']), 'base64').toString(), initial.caPem);
  assert.is(a.changes.length, 0, 'the serving pair did not change');
});

rotation('a failed check keeps the current pair, warns, and the next check recovers', async () => {
  const h = (current = await startKubeHarness());
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  const clock = { now: Date.now() };
  const a = replica(h, clock);
  const initial = await ensureServingCertificate(a.options);
  const rot = startCertificateRotation({ ...a.options, initial, onChange: (c) => a.changes.push(c) });
  stops.push(rot.stop);
  h.api.deny('get', 'secrets');
  clock.now = initial.renewAt + 1;
  const kept = await rot.checkNow();
  assert.is(kept.certPem, initial.certPem);
  assert.is(a.changes.length, 0);
  assert.is(a.warnings.length, 1);
  assert.match(a.warnings[0] ?? '', /certificate check failed.*IC_ERR_DENIED/);
  h.api.allow('get', 'secrets');
  const renewed = await rot.checkNow();
  assert.is.not(renewed.certPem, initial.certPem);
  assert.is(a.changes.length, 1);
});

rotation('stop() ends the timer: no request after it', async () => {
  const h = (current = await startKubeHarness());
  h.api.putMutatingWebhookConfiguration(webhookConfiguration());
  const a = replica(h, { now: Date.now() });
  const initial = await ensureServingCertificate(a.options);
  const rot = startCertificateRotation({ ...a.options, initial, onChange: () => {}, intervalMs: 1_000 });
  rot.stop();
  const before = h.api.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.is(h.api.requests.length, before);
});
rotation.run();
