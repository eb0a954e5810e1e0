/**
 * The `-f FILE|DIR|-` inputs of `rewrite` and `sync`, read the way `kubectl
 * apply -f` reads them: a directory contributes its `.yaml`, `.yml` and
 * `.json` files in name order (its subdirectories only with --recursive),
 * `-` is standard input (read once, however often it is named).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClonerError } from '../core/errors.js';

export interface ManifestInput {
  /** The file's path as found, or `-` for standard input: what reports name. */
  readonly name: string;
  readonly text: string;
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Bounded (STYLE rule 8): the largest fixture (argo-cd's install.yaml) is 1.9 MB. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export async function readManifestInputs(
  paths: readonly string[],
  options: { readonly recursive: boolean; readonly stdin: () => Promise<string> },
): Promise<ManifestInput[]> {
  const inputs: ManifestInput[] = [];
  let stdinRead = false;
  for (const path of paths) {
    if (path === '-') {
      if (!stdinRead) inputs.push({ name: '-', text: await options.stdin() });
      stdinRead = true;
      continue;
    }
    for (const file of await expand(path, options.recursive, true)) inputs.push({ name: file, text: await readText(file) });
  }
  return inputs;
}

async function expand(path: string, recursive: boolean, named: boolean): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new ClonerError('IC_ERR_USAGE', `-f ${path}: cannot read (${errorCode(error)})`, { cause: error });
  }
  if (!isDirectory) return named || MANIFEST_EXTENSIONS.some((ext) => path.endsWith(ext)) ? [path] : [];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      if (recursive) files.push(...(await expand(child, recursive, false)));
    } else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
      files.push(child);
    }
  }
  return files;
}

async function readText(file: string): Promise<string> {
  try {
    const size = (await stat(file)).size;
    if (size > MAX_INPUT_BYTES) throw new ClonerError('IC_ERR_TOO_LARGE', `-f ${file}: larger than ${MAX_INPUT_BYTES} bytes`);
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ClonerError) throw error;
    throw new ClonerError('IC_ERR_USAGE', `-f ${file}: cannot read (${errorCode(error)})`, { cause: error });
  }
}

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
}

/** Standard input as text, bounded like files. */
export async function readStream(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) throw new ClonerError('IC_ERR_TOO_LARGE', `-f -: larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
