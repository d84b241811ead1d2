/**
 * @fileoverview Loading the command line from one file with V8's code cache. The build bundles
 * src/cli/program.ts and everything it imports into dist/cli/program.bundle.cjs
 * (scripts/bundle-cli.mjs), runs a render and `crinit list` through it, and keeps the bytecode
 * V8 compiled on the way (program.bundle.cache). A command then starts without resolving, reading and compiling
 * about 170 modules, and without compiling again the functions a render runs. The cache is only
 * a hint: V8 refuses one made by another Node or V8 version and compiles from the source, which
 * gives the same program. Without the bundle (a build that did not make one), cli.cts imports
 * the modules instead. This module and cli.cts are CommonJS, so that a command starts without
 * Node's ES module loader.
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import type * as Program from './program.js';

export const BUNDLE = join(__dirname, 'program.bundle.cjs');
export const BUNDLE_CACHE = join(__dirname, 'program.bundle.cache');

export interface LoadedBundle {
  readonly program: typeof Program;
  /** Whether V8 refused the code cache (made by another version), or there was none. */
  readonly cacheRejected: boolean;
  /** The bytecode V8 holds for the bundle now, for the build to keep. */
  readonly cacheData: () => Buffer;
}

/** loadBundle runs the bundle and gives its exports, or undefined when there is no bundle. */
export function loadBundle(useCache = true): LoadedBundle | undefined {
  let source: string;
  try {
    // The build writes it in ASCII, so it is read as one-byte text.
    source = readFileSync(BUNDLE, 'latin1');
  } catch {
    return undefined;
  }
  let cachedData: Buffer | undefined;
  try {
    if (useCache) cachedData = readFileSync(BUNDLE_CACHE);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(source), { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const module = { exports: {} as typeof Program };
  run.call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return { program: module.exports, cacheRejected: cachedData === undefined || script.cachedDataRejected === true, cacheData: () => script.createCachedData() };
}
