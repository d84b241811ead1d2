/**
 * @fileoverview What every command shares: reading the files a user names (regular files of a
 * bounded size only), compiling a profile argument, printing diagnostics, and the exit codes.
 *
 * Exit codes: 0 ok, 1 invalid input, 2 usage, 3 internal error (a crinit bug or an I/O failure).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { compile, type CompileOptions, type CompileResult } from '../compile.js';
import { CODES, formatDiagnostic, hasErrors, type Diagnostic } from '../diagnostics.js';
import { isBuiltinName } from '../profile/resolve.js';

export const EXIT = { ok: 0, invalid: 1, usage: 2, internal: 3 } as const;

export function readText(path: string): string | undefined {
  try {
    // Regular files only (a FIFO or /dev/zero would stall or exhaust the process), of a size a
    // profile or an inventory can have; anything else cannot be read.
    const st = statSync(path);
    if (!st.isFile() || st.size > MAX_INPUT_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The largest file crinit reads (a profile, an inventory, a snippet, a part). */
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** exitCodeFor is pure: internal errors win over input errors. */
export function exitCodeFor(diagnostics: readonly Diagnostic[]): number {
  if (diagnostics.some((d) => d.severity === 'error' && d.code === CODES.internal)) return EXIT.internal;
  return hasErrors(diagnostics) ? EXIT.invalid : EXIT.ok;
}

export function report(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
}

type ExtraOptions = Pick<CompileOptions, 'variables' | 'terraformTemplate' | 'offline' | 'document'>;

/** compileArg compiles a built-in name or a profile file named on the command line. */
export function compileArg(arg: string, set: readonly string[], extra: ExtraOptions = {}): CompileResult {
  if (isBuiltinName(arg) && !existsSync(arg)) return compile({ profile: arg, set, readFile: readText, ...extra });
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
  return compile({ profile: { path: arg, text }, set, readFile: readText, ...extra });
}

/** cannotReadInventory is the one diagnostic for an inventory file that cannot be read. */
export function cannotReadInventory(inventory: string): Diagnostic {
  return { severity: 'error', code: CODES.inventory, message: `cannot read the inventory ${JSON.stringify(inventory)}`, hint: 'pass the path of a YAML or CSV inventory' };
}

/** collect gathers a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

