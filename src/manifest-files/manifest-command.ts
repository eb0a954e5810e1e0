/** What `rewrite` and `sync` share on the command line: their I/O, reading -f inputs, usage errors, output. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { ClonerError } from '../core/errors.js';
import type { Env } from '../server/policy-config.js';
import type { ProgressSink } from '../cli/progress.js';
import { readManifestInputs, type ManifestInput } from './read-manifest-inputs.js';

export interface ManifestCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: ProgressSink;
  readonly env: Env;
  readonly stdin: { readonly isTTY: boolean; read(): Promise<string> };
}

/** -f inputs; none at all means standard input, unless that is a terminal (then the user forgot -f). */
export async function readManifestsFor(
  command: string,
  filenames: readonly string[],
  recursive: boolean,
  io: ManifestCommandIo,
): Promise<ManifestInput[]> {
  if (filenames.length === 0 && io.stdin.isTTY) {
    throw new ClonerError('IC_ERR_USAGE', `${command}: no -f FILE|DIR|- given and standard input is a terminal`);
  }
  return readManifestInputs(filenames.length === 0 ? ['-'] : filenames, { recursive, stdin: () => io.stdin.read() });
}

export function usageError(command: string, error: unknown, usage: string): ClonerError {
  const message = error instanceof Error ? error.message : String(error);
  return new ClonerError('IC_ERR_USAGE', `${command}: ${message}\n\n${usage}`);
}

/**
 * One input comes out as it went in (JSON stays JSON). Several become one
 * YAML stream, as `kubectl` and kustomize print them: a `---` line between
 * two inputs unless the second starts with one.
 */
export function joinOutputs(texts: readonly string[]): string {
  let out = '';
  texts.forEach((text, index) => {
    if (index > 0) {
      if (out !== '' && !out.endsWith('\n')) out += '\n';
      if (!text.startsWith('---')) out += '---\n';
    }
    out += text;
  });
  return out;
}

/** `IMAGE: reason`, without the image twice when the reason already starts with it. */
export function describeImageFailure(image: string, reason: string): string {
  return reason.startsWith(`${image}: `) ? reason : `${image}: ${reason}`;
}

/** Flag values through their zod schema; a problem is a usage error naming the flag. */
export function parseFlags<T>(command: string, schema: z.ZodType<T>, values: unknown, usage: string): T {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw usageError(command, problems, usage);
}

/**
 * argv through parseArgs (strict: unknown flags and positionals are usage
 * errors) and then `schema`; undefined after printing the usage for --help.
 */
export function parseCommandLine<T>(
  command: string,
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: z.ZodType<T>,
  io: Pick<ManifestCommandIo, 'stdout'>,
  usage: string,
): T | undefined {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], strict: true, options }).values;
  } catch (error) {
    throw usageError(command, error, usage);
  }
  if (values['help'] === true) {
    io.stdout(usage);
    return undefined;
  }
  return parseFlags(command, schema, values, usage);
}
