/**
 * Fresh temp dirs under os.tmpdir() that are removed when the test process
 * exits, even when a test forgot its cleanup or failed half-way; removing one
 * earlier with `removeTempDir` is the normal path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pending = new Set<string>();
let hooked = false;

export function makeTempDir(prefix: string): string {
  if (!hooked) {
    hooked = true;
    // One listener for all dirs (a listener per dir would trip Node's
    // MaxListeners warning in a file that starts many registries).
    process.on('exit', () => {
      for (const dir of pending) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), `image-cloner-${prefix}-`));
  pending.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  pending.delete(dir);
}
