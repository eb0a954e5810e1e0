#!/usr/bin/env node
/** image-cloner command line: the composition root for each subcommand. */
import { isClonerError } from './core/errors.js';

const USAGE = `usage: image-cloner <command> [options]

commands:
  copy SRC DST   copy an image (all platforms) between registries or OCI archives
  rewrite        rewrite the images of Kubernetes manifests as the webhook would (GitOps, CI)
  serve          run the mutating admission webhook (configured by environment variables)
  sync           copy every image of Kubernetes manifests to the backup registry

Run "image-cloner <command> --help" for a command's options.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = {
    stdout: (text: string) => process.stdout.write(text),
    stderr: { isTTY: process.stderr.isTTY === true, write: (text: string) => process.stderr.write(text) },
  };
  switch (command) {
    case 'copy':
      // Each subcommand loads only its own modules: startup time and memory count for a CLI.
      return (await import('./cli/copy-command.js')).runCopyCommand(rest, io);
    case 'rewrite':
      return (await import('./cli/rewrite-command.js')).runRewriteCommand(rest, manifestIo(io));
    case 'sync':
      return (await import('./cli/sync-command.js')).runSyncCommand(rest, manifestIo(io));
    case 'serve': {
      const code = await (await import('./cli/serve-command.js')).runServeCommand(rest, {
        env: process.env,
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        signals: process,
        onUnhandledRejection: (listener) => process.on('unhandledRejection', listener),
      });
      // A handle nobody closed must not keep a stopped server alive until
      // the kubelet's SIGKILL; unref'd, this timer alone holds nothing.
      setTimeout(() => process.exit(code), 1_000).unref();
      return code;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`image-cloner: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

/** The environment and standard input: `rewrite` and `sync` read both (the composition root hands them over). */
function manifestIo(io: { stdout: (text: string) => void; stderr: { isTTY: boolean; write: (text: string) => void } }) {
  return {
    ...io,
    env: process.env,
    stdin: {
      isTTY: process.stdin.isTTY === true,
      read: async () => (await import('./manifest-files/read-manifest-inputs.js')).readStream(process.stdin),
    },
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isClonerError(error)) {
      process.stderr.write(`image-cloner: ${error.message} [${error.code}]\n`);
      process.exitCode = error.code === 'IC_ERR_USAGE' ? 2 : 1;
    } else {
      process.stderr.write(`image-cloner: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 70;
    }
  },
);
