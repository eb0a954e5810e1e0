/** What both benchmark drivers need before they start: their settings and one scratch dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { killGroup } from '../test/helpers/process-tracking.js';
import { runningManagedPids } from '../test/helpers/processes.js';

/** The BENCH_* variables through a schema; empty variables count as unset, as in most shell tools. */
export function parseBenchEnv<T>(env: NodeJS.ProcessEnv, schema: z.ZodType<T>): T {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('BENCH_') && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`bench: bad settings: ${problems}`);
  }
  return parsed.data;
}

/**
 * One bench dir for everything; removed on every way out, after our children
 * are dead. The test helpers put registry roots, the PKI and skopeo's scratch
 * under os.tmpdir(), which reads TMPDIR on every call: point it here.
 */
export function makeBenchDir(base: string, prefix: string): string {
  const dir = mkdtempSync(join(base, `${prefix}-`));
  process.on('exit', () => {
    for (const pid of runningManagedPids()) killGroup(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
  process.env['TMPDIR'] = dir;
  return dir;
}
