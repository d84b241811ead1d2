/**
 * @fileoverview Compiling the profile a command names: a built-in DISTRO/RUNTIME, or a file.
 */
import { existsSync } from 'node:fs';
import { compile, type CompileOptions, type CompileResult } from '../compile.js';
import { CODES } from '../diagnostics.js';
import { isBuiltinName } from '../profile/resolve.js';
import { readText } from './io.js';

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

