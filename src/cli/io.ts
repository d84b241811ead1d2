/**
 * @fileoverview What every command shares: reading the files a user names (regular files of a
 * bounded size only), printing diagnostics, and the exit codes. Light: --version loads it.
 *
 * Exit codes: 0 ok, 1 invalid input or an output that cannot be written, 2 usage, 3 internal
 * error (a crinit bug).
 */
import { readFileSync, readSync, statSync } from 'node:fs';
import { CODES, diagnosticJson, formatDiagnostic, hasErrors, type Diagnostic } from '../diagnostics.js';

export const EXIT = { ok: 0, invalid: 1, usage: 2, internal: 3 } as const;

/** The name a profile or inventory read from standard input goes by: `crinit render -`. */
export const STDIN = '-';

export function readText(path: string): string | undefined {
  if (path === STDIN) return readStdin();
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

/** Standard input to its end, if it stays within MAX_INPUT_BYTES. */
function readStdin(): string | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.alloc(1 << 16);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(0, buf, 0, buf.length, null);
      } catch (e) {
        // A non-blocking stdin with nothing yet: wait for it, as a blocking read would.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      total += n;
      if (total > MAX_INPUT_BYTES) return undefined;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The largest file crinit reads (a profile, an inventory, a snippet, a part). */
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** exitCodeFor is pure: internal errors win over input errors; with strict, a warning fails too. */
export function exitCodeFor(diagnostics: readonly Diagnostic[], strict = false): number {
  if (diagnostics.some((d) => d.severity === 'error' && d.code === CODES.internal)) return EXIT.internal;
  return hasErrors(diagnostics) || (strict && diagnostics.length > 0) ? EXIT.invalid : EXIT.ok;
}

/** How a command reports: text lines on stderr, or with --json one JSON document on stderr. */
export function report(diagnostics: readonly Diagnostic[], json = false): void {
  if (json) {
    process.stderr.write(`${JSON.stringify({ diagnostics: diagnostics.map(diagnosticJson) })}\n`);
    return;
  }
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
}

/** cannotReadInventory is the one diagnostic for an inventory file that cannot be read. */
export function cannotReadInventory(inventory: string): Diagnostic {
  return { severity: 'error', code: CODES.inventory, message: `cannot read the inventory ${JSON.stringify(inventory)}`, hint: 'pass the path of a YAML or CSV inventory' };
}

/** What a failed write's errno means, in words. */
const WRITE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space is left on the device',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * cannotWrite reports an output that could not be written (`target`: "to DIR" or the file): the
 * user's environment, not a crinit bug, so exit 1 with what went wrong in words (E-WRITE).
 */
export function cannotWrite(target: string, e: unknown): void {
  const code = (e as NodeJS.ErrnoException).code;
  const why = (code && WRITE_ERRORS[code]) ?? code ?? (e as Error).message;
  process.stderr.write(`error ${CODES.write}: cannot write ${target}: ${why}${code && WRITE_ERRORS[code] ? ` (${code})` : ''}\n  hint: choose a path in a directory that exists and that you can write to; nothing was written\n`);
  process.exitCode = EXIT.invalid;
}
