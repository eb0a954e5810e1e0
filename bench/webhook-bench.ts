/**
 * Benchmark of `image-cloner serve` on loopback (see bench/webhook.sh for how
 * to run it; issue 3, "Benchmark").
 *
 * Hot path: a real Deployment whose images were mirrored before (cache hit,
 * patch from memory), under wrk over HTTPS keep-alive, against a bare
 * `node:https` server (bare-webhook-server.ts) that only parses the body and
 * answers a fixed review: the same certificate, a separate node process each,
 * the same generator, measured back to back (order alternating between
 * repetitions) and compared run by run. Once per LOG_LEVEL asked for, each
 * in a serve process of its own.
 *
 * Cold path (cold-path.ts): a fresh serve process, so nothing is cached, gets
 * one admission per image already present in the backup (HEADs only).
 *
 * Registries: the real `docker-registry`, the source over plain HTTP, the
 * backup over TLS with htpasswd credentials, as a cluster would have it.
 * Everything listens on 127.0.0.1, on ports the kernel picks. wrk does not
 * verify the server certificate (both servers present the same one); the
 * bench's own checks do.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBackupNaming } from '../src/core/backup-naming.js';
import { SERVICE_NAME } from '../test/helpers/https-client.js';
import { startRegistry } from '../test/helpers/registry-server.js';
import { sharedTestPki } from '../test/helpers/tls.js';
import { formatTargets } from './bench-report.js';
import { measureColdPath } from './cold-path.js';
import { measureHotPath } from './hot-path.js';
import type { HotContext } from './hot-path.js';
import { startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';
import { createWebhookClient } from './webhook-client.js';
import { benchLog as log, cliOf, startServe } from './webhook-env.js';
import type { BenchEnv } from './webhook-env.js';
import { makeBenchDir } from './bench-setup.js';
import { loadWebhookBenchConfig } from './webhook-config.js';
import type { WebhookBenchConfig } from './webhook-config.js';
import { checkWebhookTargets, formatCold, formatLoadTable } from './webhook-report.js';
import type { ColdResults, PairedRun } from './webhook-report.js';
import { checkAllowed, checkPatched, prepareColdWorkloads, prepareHotWorkload } from './webhook-workload.js';
import type { Workload } from './webhook-workload.js';
import { wrkVersion } from './wrk-run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BARE = join(ROOT, 'bench', 'bare-webhook-server.ts');


function startBare(env: BenchEnv): Promise<ServerProcess> {
  return startServerProcess({
    name: 'bare server',
    command: process.execPath,
    // The same node flags as ours: the comparison is of the code, not of the heap settings.
    args: [...env.config.nodeArgs, '--import', 'tsx', BARE],
    cwd: ROOT,
    logFile: join(env.dir, 'bare.log'),
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TLS_CERT_FILE: env.pki.server.certFile, TLS_KEY_FILE: env.pki.server.keyFile, PORT: '0' },
  });
}

/** The copies the hot path and the cold path rely on: made once, by a serve process of their own. */
async function primeBackup(env: BenchEnv, workloads: readonly Workload[]): Promise<void> {
  const started = performance.now();
  const serve = await startServe(env, 'warn', 'primer');
  const client = createWebhookClient(serve.port, env.pki.ca.certPem);
  try {
    for (const workload of workloads) {
      const res = await client.admit(workload.body);
      checkPatched(res.status, res.body, workload);
    }
    const copied = await client.metric('image_cloner_copies_finished_total', 'outcome="copied"');
    log(`primed the backup: ${copied} images copied by a first serve process in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    client.close();
    await serve.stop(10_000);
  }
}

/** Prints the tables and target lines (stdout); true when every target is met. */
async function printReport(
  config: WebhookBenchConfig,
  hot: Workload,
  runs: readonly PairedRun[],
  coldCount: number,
  coldResults: ColdResults | undefined,
): Promise<boolean> {
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), node ${process.version}, ${await wrkVersion()}`;
  process.stdout.write(`\n${machine}\n` +
    `wrk ${config.threads} thread(s), ${config.reps} run(s) of ${config.durationS} s per server and connection count, ` +
    'medians; the generator, ours and the bare server share the machine\'s CPUs.\n' +
    `ours: node ${[...config.nodeArgs, config.cli ?? 'dist/cli.js'].join(' ')} serve, logging through a pipe; ` +
    `bare: node ${[...config.nodeArgs, 'bench/bare-webhook-server.ts'].join(' ')}. ` +
    (config.distinct ? 'Every request distinct.\n\n' : 'One fixed AdmissionReview (same uid) for every request.\n\n'));
  const connections = [...new Set([config.throughputConnections, config.latencyConnections])];
  process.stdout.write(`${formatLoadTable(`hot path: ${hot.title}`, runs, config.logLevels, connections)}\n\n`);
  process.stdout.write('CPU us/req: server CPU time per answered request. %cpu: of one core over the run (the machine has ' +
    `${cpus().length}).\n\n`);
  if (coldResults !== undefined) {
    const title = `cold path: ${coldCount} images present in the backup, one Pod admission each, sequential, fresh serve process`;
    process.stdout.write(`${formatCold(title, coldResults)}\n\n`);
  }
  const targets = checkWebhookTargets(runs, config.logLevels, config.throughputConnections, config.latencyConnections, coldResults);
  process.stdout.write(`${formatTargets(targets)}\n`);
  return targets.every((t) => t.pass);
}

async function main(): Promise<number> {
  const config = loadWebhookBenchConfig(process.env);
  const cli = cliOf(config);
  if (!existsSync(cli)) throw new Error(`bench: ${cli} is missing; run "npm run build" first`);
  const dir = makeBenchDir(config.tmpBase, 'image-cloner-webhook-bench');
  const pki = await sharedTestPki({ extraDnsNames: [SERVICE_NAME] });
  const [source, backup] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'htpasswd', pki })]);
  let bare: ServerProcess | undefined;
  try {
    const authFile = join(dir, 'dockerconfig.json');
    const basic = Buffer.from(`${backup.username ?? ''}:${backup.password ?? ''}`).toString('base64');
    await writeFile(authFile, JSON.stringify({ auths: { [backup.host]: { auth: basic } } }));
    const naming = parseBackupNaming({ registry: backup.host, prefix: 'mirror' });
    const env: BenchEnv = { config, dir, pki, source, backup, naming, authFile };
    const hot = await prepareHotWorkload(source, naming, config.distinct);
    const cold = await prepareColdWorkloads(source, naming, config.coldImages);
    await primeBackup(env, [hot, ...cold]);

    const bodyFile = join(dir, 'review.json');
    await writeFile(bodyFile, hot.body);
    bare = await startBare(env);
    const bareClient = createWebhookClient(bare.port, pki.ca.certPem);
    const bareAnswer = await bareClient.admit(hot.body).finally(() => bareClient.close());
    checkAllowed(bareAnswer.status, bareAnswer.body);

    const ctx: HotContext = { env, hot, bodyFile, bare };
    const runs: PairedRun[] = [];
    for (const logLevel of config.logLevels) runs.push(...(await measureHotPath(ctx, logLevel)));
    const coldResults: ColdResults | undefined = cold.length === 0 ? undefined : await measureColdPath(env, cold);

    const passed = await printReport(config, hot, runs, cold.length, coldResults);
    return config.strict && !passed ? 1 : 0;
  } finally {
    await bare?.stop();
    await Promise.all([source.stop(), backup.stop()]);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
