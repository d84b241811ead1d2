#!/usr/bin/env node
/**
 * @fileoverview The crinit command line. Commands are thin (src/cli/): they read files, call
 * compile(), print diagnostics to stderr and the output to stdout (or -o, atomically), and set
 * the exit code from the diagnostics (src/cli/io.ts lists the codes).
 */
import { Command, CommanderError } from 'commander';
import { CRINIT_VERSION } from './version.generated.js';
import { CODES } from './diagnostics.js';
import { registerExport, registerList, registerManifest, registerRender, registerRuntimeClasses, registerServe, registerValidate } from './cli/commands.js';
import { EXIT } from './cli/io.js';

export { EXIT, exitCodeFor } from './cli/io.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('crinit')
    .description('Compile a node profile into first-boot configuration for a Kubernetes node.')
    .version(CRINIT_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerRender(program);
  registerExport(program);
  registerValidate(program);
  registerServe(program);
  registerManifest(program);
  registerRuntimeClasses(program);
  registerList(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  // A reader that stops early (`crinit list | head`) closes the pipe: stop quietly, as other
  // command-line tools do, instead of crashing on EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`error ${CODES.internal}: ${(e as Error).message}\n`);
    process.exitCode = EXIT.internal;
  }
}

void main(process.argv);
