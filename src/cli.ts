#!/usr/bin/env node
/**
 * @fileoverview The crinit command line. Commands are thin: they read files, call compile(),
 * print diagnostics to stderr and the output to stdout (or -o, atomically), and set the exit
 * code from the diagnostics.
 *
 * Exit codes: 0 ok, 1 invalid input, 2 usage, 3 internal error (a crinit bug or an I/O failure).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { CRINIT_VERSION } from './assets.generated.js';
import { compile, type CompileResult } from './compile.js';
import { CODES, formatDiagnostic, hasErrors, type Diagnostic } from './diagnostics.js';
import { listMatrix } from './list.js';
import { isBuiltinName } from './profile/resolve.js';

export const EXIT = { ok: 0, invalid: 1, usage: 2, internal: 3 } as const;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** exitCodeFor is pure: internal errors win over input errors. */
export function exitCodeFor(diagnostics: readonly Diagnostic[]): number {
  if (diagnostics.some((d) => d.severity === 'error' && d.code === CODES.internal)) return EXIT.internal;
  return hasErrors(diagnostics) ? EXIT.invalid : EXIT.ok;
}

function report(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
}

/** compileArg compiles a built-in name or a profile file named on the command line. */
function compileArg(arg: string, set: readonly string[]): CompileResult {
  if (isBuiltinName(arg) && !existsSync(arg)) return compile({ profile: arg, set, readFile: readText });
  const text = readText(arg);
  if (text === undefined) {
    return {
      chain: arg,
      diagnostics: [
        {
          severity: 'error',
          code: CODES.fileNotFound,
          message: `cannot read the profile file ${JSON.stringify(arg)}`,
          hint: 'pass a built-in name such as ubuntu-24.04/containerd (see `crinit list`) or the path of a profile file',
        },
      ],
    };
  }
  return compile({ profile: { path: arg, text }, set, readFile: readText });
}

/** writeAtomically writes via a temporary file in the same directory and a rename. */
function writeAtomically(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.crinit-${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('crinit')
    .description('Compile a node profile into first-boot configuration for a Kubernetes node.')
    .version(CRINIT_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('render')
    .description('render cloud-init user-data for a profile (a built-in DISTRO/RUNTIME or a profile file)')
    .argument('<profile>', 'e.g. ubuntu-24.04/containerd, or node.yaml')
    .option('-o, --output <file>', 'write to FILE atomically instead of stdout')
    .option('--set <key=value>', 'override a profile key, e.g. --set runtime.cgroupDriver=systemd (repeatable)', collect, [])
    .action((arg: string, opts: { output?: string; set: string[] }) => {
      const result = compileArg(arg, opts.set);
      report(result.diagnostics);
      const code = exitCodeFor(result.diagnostics);
      if (code !== EXIT.ok || result.output === undefined) {
        process.exitCode = code === EXIT.ok ? EXIT.internal : code;
        return;
      }
      if (opts.output) {
        try {
          writeAtomically(opts.output, result.output);
        } catch (e) {
          process.stderr.write(`error ${CODES.internal}: cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
          process.exitCode = EXIT.internal;
          return;
        }
      } else {
        process.stdout.write(result.output);
      }
    });

  program
    .command('validate')
    .description('check a profile (and everything it extends) without writing output')
    .argument('<profile>', 'a profile file, or a built-in DISTRO/RUNTIME')
    .option('--set <key=value>', 'override a profile key (repeatable)', collect, [])
    .action((arg: string, opts: { set: string[] }) => {
      const result = compileArg(arg, opts.set);
      report(result.diagnostics);
      process.exitCode = exitCodeFor(result.diagnostics);
      if (process.exitCode === EXIT.ok) process.stdout.write(`ok: ${arg} (${result.chain})\n`);
    });

  program
    .command('list')
    .description('show the distro × runtime matrix and what each combination supports')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const rows = listMatrix();
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      const lines = [['PROFILE', 'DEFAULT SOURCE', 'UPSTREAM', 'DISTRO', 'BACKENDS']];
      for (const r of rows) {
        const cell = (s: string) => {
          const src = r.sources.find((x) => x.source === s)!;
          return src.supported ? `${src.package} ${src.version} (config v${src.configVersion}, ${src.proof === 'boot' ? 'booted' : 'validated'})` : 'unsupported';
        };
        lines.push([r.profile, r.defaultSource, cell('upstream'), cell('distro'), r.backends.join(',') || '-']);
      }
      const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
      for (const l of lines) process.stdout.write(l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
      const notes = rows.flatMap((r) => r.sources.filter((s) => !s.supported).map((s) => `  ${r.profile} ${s.source}: ${s.reason}`));
      if (notes.length) process.stdout.write(`\nUnsupported:\n${notes.join('\n')}\n`);
    });
  return program;
}

export function main(argv: readonly string[]): void {
  try {
    buildProgram().parse(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`error ${CODES.internal}: ${(e as Error).message}\n`);
    process.exitCode = EXIT.internal;
  }
}

main(process.argv);
