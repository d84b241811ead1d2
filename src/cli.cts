#!/usr/bin/env node
/**
 * @fileoverview The crinit command line. Commands are thin (src/cli/): they read files, call
 * compile(), print diagnostics to stderr and the output to stdout (or -o, atomically), and set
 * the exit code from the diagnostics (src/cli/io.ts lists the codes). `crinit --version` and
 * `crinit --help` answer before the parser loads; every other command loads it
 * (src/cli/program.ts), bundled in one file with V8's code cache (src/cli/bundle.cts). This file
 * is CommonJS, so that no command waits for Node's ES module loader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBundle } from './cli/bundle.cjs';

/** A file beside this one, or undefined when it cannot be read. */
function beside(path: string): string | undefined {
  try {
    return readFileSync(join(__dirname, path), 'utf8');
  } catch {
    return undefined;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  // A reader that stops early (`crinit list | head`) closes the pipe: stop quietly, as other
  // command-line tools do, instead of crashing on EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(`${(JSON.parse(beside('../package.json') ?? '{}') as { version?: string }).version ?? 'unknown'}\n`);
    return;
  }
  // What `crinit --help` prints, written by the build from the program itself (scripts/build-help.mjs).
  const help = argv.length === 3 && (argv[2] === '--help' || argv[2] === '-h') ? beside('cli/help.txt') : undefined;
  if (help !== undefined) {
    process.stdout.write(help);
    return;
  }
  // The bundled program with its code cache, else the modules themselves.
  const { runProgram } = loadBundle()?.program ?? (await import('./cli/program.js'));
  await runProgram(argv);
}

void main(process.argv);
