/**
 * The hot path of bench/webhook.sh: a Deployment whose images are cached,
 * under wrk at a fixed number of keep-alive connections, against ours and
 * the bare server in turn. Every load run must end without a failed request,
 * and every answer ours gave in it must have been a patch (its own metrics
 * say so), or the bench stops.
 */
import type { LogLevel } from '../src/server/logger.js';
import type { ServerProcess } from './server-process.js';
import { createWebhookClient } from './webhook-client.js';
import { benchLog as log, startServe } from './webhook-env.js';
import type { BenchEnv } from './webhook-env.js';
import type { PairedRun } from './webhook-report.js';
import { checkPatched } from './webhook-workload.js';
import type { Workload } from './webhook-workload.js';
import { runWrk } from './wrk-run.js';
import type { LoadSample, LoadTarget } from './wrk-run.js';

export interface HotContext {
  readonly env: BenchEnv;
  readonly hot: Workload;
  readonly bodyFile: string;
  readonly bare: ServerProcess;
}

async function load(ctx: HotContext, target: LoadTarget, connections: number, durationS: number): Promise<LoadSample> {
  const { config } = ctx.env;
  const sample = await runWrk(target, { connections, threads: config.threads, durationS, bodyFile: ctx.bodyFile, distinct: config.distinct });
  if (sample.errors > 0) throw new Error(`bench: ${sample.errors} failed requests (socket errors, timeouts or non-2xx) at ${connections} conns`);
  return sample;
}

/** One load run of ours, checked: every request it answered was a patch, and nothing else happened. */
async function loadOurs(ctx: HotContext, serve: ServerProcess, connections: number): Promise<LoadSample> {
  const client = createWebhookClient(serve.port, ctx.env.pki.ca.certPem);
  try {
    const count = async (): Promise<[number, number]> => [
      await client.metric('image_cloner_admissions_total', 'outcome="patched"'),
      await client.metric('image_cloner_admissions_total'),
    ];
    const [patchedBefore, allBefore] = await count();
    const sample = await load(ctx, serve, connections, ctx.env.config.durationS);
    const [patchedAfter, allAfter] = await count();
    const patched = patchedAfter - patchedBefore;
    // wrk does not count answers still in flight when its time is up; the server does.
    if (patched < sample.requests || patched !== allAfter - allBefore) {
      throw new Error(`bench: wrk counted ${sample.requests} answers; the server patched ${patched} of ${allAfter - allBefore}`);
    }
    return sample;
  } finally {
    client.close();
  }
}

/**
 * The hot path at one LOG_LEVEL: a serve process of its own, warmed up,
 * then BENCH_REPS repetitions at each connection count, ours and the bare
 * server back to back.
 */
export async function measureHotPath(ctx: HotContext, logLevel: LogLevel): Promise<PairedRun[]> {
  const { config } = ctx.env;
  const serve = await startServe(ctx.env, logLevel, `hot-${logLevel}`);
  const runs: PairedRun[] = [];
  try {
    const client = createWebhookClient(serve.port, ctx.env.pki.ca.certPem);
    try {
      // The first admission of this process finds the copies in the backup (HEADs); the second is the cache hit measured.
      for (let i = 0; i < 2; i++) {
        const res = await client.admit(ctx.hot.body);
        checkPatched(res.status, res.body, ctx.hot);
      }
    } finally {
      client.close();
    }
    if (config.warmupS > 0) {
      for (const target of [ctx.bare, serve]) await load(ctx, target, config.throughputConnections, config.warmupS);
    }
    for (let rep = 0; rep < config.reps; rep++) {
      for (const connections of new Set([config.throughputConnections, config.latencyConnections])) {
        // Alternate which server goes first, so neither always meets the warmer machine.
        const oursFirst = rep % 2 === 1;
        const first = oursFirst ? await loadOurs(ctx, serve, connections) : await load(ctx, ctx.bare, connections, config.durationS);
        const second = oursFirst ? await load(ctx, ctx.bare, connections, config.durationS) : await loadOurs(ctx, serve, connections);
        const run: PairedRun = { logLevel, connections, bare: oursFirst ? second : first, ours: oursFirst ? first : second };
        log(`[LOG_LEVEL=${logLevel} run ${rep + 1}/${config.reps}, ${connections} conns] ` +
          `bare ${run.bare.requestsPerS.toFixed(0)} req/s p99 ${run.bare.p99Ms.toFixed(2)} ms; ` +
          `ours ${run.ours.requestsPerS.toFixed(0)} req/s p99 ${run.ours.p99Ms.toFixed(2)} ms`);
        runs.push(run);
      }
    }
  } finally {
    const exit = await serve.stop(15_000);
    if (exit.code !== 0) log(`serve LOG_LEVEL=${logLevel} exited with ${String(exit.code ?? exit.signal)}`);
  }
  const logBytes = Buffer.byteLength(await serve.log());
  const answered = runs.reduce((sum, r) => sum + r.ours.requests, 0);
  log(`serve LOG_LEVEL=${logLevel}: ${(logBytes / Math.max(1, answered)).toFixed(0)} log bytes per admission`);
  return runs;
}
