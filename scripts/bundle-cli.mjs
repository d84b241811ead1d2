#!/usr/bin/env node
// Writes dist/cli/program.bundle.cjs, the command line in one file, and program.bundle.cache,
// V8's bytecode for it after a render and `crinit list` (src/cli/bundle.cts loads both). Run by `npm run build`,
// after tsc: it bundles dist/cli/program.js with rolldown (the pinned devDependency), minified,
// with node: modules left to require(). Characters past ASCII are written as \u escapes (they
// stand only in strings, template literals and regular expressions, where an escape means the
// same character), so that the file is read as one-byte text.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const dist = (p) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));
const { BUNDLE, BUNDLE_CACHE, loadBundle } = await import(new URL('../dist/cli/bundle.cjs', import.meta.url).href);

rmSync(BUNDLE_CACHE, { force: true });
const bundle = await rolldown({ input: dist('cli/program.js'), platform: 'node', external: [/^node:/], logLevel: 'warn' });
const { output } = await bundle.generate({ format: 'cjs', codeSplitting: false, minify: true });
await bundle.close();
if (output.length !== 1 || output[0].type !== 'chunk') throw new Error(`bundle-cli: expected one chunk, got ${output.length} outputs`);
let code = output[0].code;
if (/String\.raw/.test(code)) throw new Error('bundle-cli: String.raw in the bundle: \\u escapes would change its text');
code = code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
writeFileSync(BUNDLE, code);

// Run a render and `crinit list` (every distro, runtime and backend) through the bundle, then
// keep what V8 compiled.
const loaded = loadBundle(false);
const write = process.stdout.write;
let out = '';
process.stdout.write = (chunk) => ((out += chunk), true);
try {
  await loaded.program.runProgram(['node', 'crinit', 'render', 'ubuntu-24.04/containerd']);
  if (process.exitCode || !out.startsWith('#cloud-config')) throw new Error(`bundle-cli: the bundled render failed (exit ${process.exitCode})`);
  await loaded.program.runProgram(['node', 'crinit', 'list']);
} finally {
  process.stdout.write = write;
}
if (process.exitCode || !out.includes('ubuntu-24.04')) throw new Error(`bundle-cli: the bundled list failed (exit ${process.exitCode})`);
writeFileSync(BUNDLE_CACHE, loaded.cacheData());
console.log(`bundle-cli: ${BUNDLE} (${readFileSync(BUNDLE).length} bytes), code cache ${readFileSync(BUNDLE_CACHE).length} bytes`);
