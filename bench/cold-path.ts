/**
 * The cold path of bench/webhook.sh: a fresh serve process (empty cache)
 * admits N images that are already in the backup, one Pod each, one after
 * the other. Each answer costs registry round trips only (HEAD of the source
 * tag, HEAD of that digest and of the tag at the backup), no copy: checked
 * afterwards on the server's own metrics.
 */
import { z } from 'zod';
import { createWebhookClient } from './webhook-client.js';
import { startServe } from './webhook-env.js';
import type { BenchEnv } from './webhook-env.js';
import type { ColdResults } from './webhook-report.js';
import { checkPatched } from './webhook-workload.js';
import type { Workload } from './webhook-workload.js';

const admissionLine = z.object({ msg: z.literal('admission'), ms: z.number() });

export async function measureColdPath(env: BenchEnv, workloads: readonly Workload[]): Promise<ColdResults> {
  // The product default: what a user runs.
  const serve = await startServe(env, 'info', 'cold');
  const clientMs: number[] = [];
  try {
    const client = createWebhookClient(serve.port, env.pki.ca.certPem);
    try {
      // The API server keeps its connections open: the TLS handshake is paid before the first admission, not in it.
      const health = await client.get('/healthz');
      if (health.status !== 200) throw new Error(`bench: cold serve: /healthz answered ${health.status}`);
      for (const workload of workloads) {
        const started = performance.now();
        const res = await client.admit(workload.body);
        clientMs.push(performance.now() - started);
        checkPatched(res.status, res.body, workload);
      }
      const present = await client.metric('image_cloner_copies_finished_total', 'outcome="present"');
      const copied = await client.metric('image_cloner_copies_finished_total', 'outcome="copied"');
      if (present !== workloads.length || copied !== 0) {
        throw new Error(`bench: cold path: expected ${workloads.length} images found present, got ${present} (and ${copied} copied)`);
      }
    } finally {
      client.close();
    }
  } finally {
    await serve.stop(15_000);
  }
  const serverMs = (await serve.log()).split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const parsed = admissionLine.safeParse(JSON.parse(line));
    return parsed.success ? [parsed.data.ms] : [];
  });
  return { clientMs, serverMs };
}
