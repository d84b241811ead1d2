/**
 * @fileoverview Compiling the profile a command names: a built-in DISTRO/RUNTIME, or a file.
 */
import { existsSync, statSync } from 'node:fs';
import { compile, type CompileOptions, type CompileResult } from '../compile.js';
import { CODES } from '../diagnostics.js';
import { isBuiltinName } from '../profile/resolve.js';
import { readText } from './io.js';

type ExtraOptions = Pick<CompileOptions, 'variables' | 'terraformTemplate' | 'offline' | 'document' | 'annotate'>;

/** compileArg compiles a built-in name or a profile file named on the command line. */
export function compileArg(arg: string, set: readonly string[], extra: ExtraOptions = {}): CompileResult {
  // DIR/NAME where DIR is a directory here names a file (examples/x), not a distro called DIR.
  if (isBuiltinName(arg) && !existsSync(arg) && !isDirectory(arg.split('/')[0]!)) return compile({ profile: arg, set, readFile: readText, ...extra });
  const text = readText(arg);
  if (text === undefined) {
    const missing = !existsSync(arg);
    return {
      chain: arg,
      diagnostics: [
        {
          severity: 'error',
          code: CODES.fileNotFound,
          message: missing ? `the profile file ${JSON.stringify(arg)} does not exist` : `cannot read the profile file ${JSON.stringify(arg)}`,
          hint: missing
            ? 'check the path, or pass a built-in name such as ubuntu-24.04/containerd (see `crinit list`)'
            : 'a profile is a regular, readable file of at most 16 MiB (or - for standard input)',
        },
      ],
    };
  }
  return compile({ profile: { path: arg, text }, set, readFile: readText, ...extra });
}


function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
