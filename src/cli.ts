#!/usr/bin/env node
/**
 * @fileoverview The crinit command line. Commands are thin (src/cli/): they read files, call
 * compile(), print diagnostics to stderr and the output to stdout (or -o, atomically), and set
 * the exit code from the diagnostics (src/cli/io.ts lists the codes). `crinit --version` and
 * `crinit --help` answer before the parser loads; every other command loads it (src/cli/program.ts), and only its own
 * code after that.
 */
import { readFileSync } from 'node:fs';
import { CRINIT_VERSION } from './version.generated.js';

/** What `crinit --help` prints, written by the build from the program itself (scripts/build-help.mjs). */
function builtHelp(): string | undefined {
  try {
    return readFileSync(new URL('./cli/help.txt', import.meta.url), 'utf8');
  } catch {
    return undefined;
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  // A reader that stops early (`crinit list | head`) closes the pipe: stop quietly, as other
  // command-line tools do, instead of crashing on EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(`${CRINIT_VERSION}\n`);
    return;
  }
  const help = argv.length === 3 && (argv[2] === '--help' || argv[2] === '-h') ? builtHelp() : undefined;
  if (help !== undefined) {
    process.stdout.write(help);
    return;
  }
  const { runProgram } = await import('./cli/program.js');
  await runProgram(argv);
}

void main(process.argv);
