/**
 * Test helpers: the built crinit (tests exercise dist/, the real artifact), the real external
 * tools, and a CLI runner.
 */
import { listMatrix } from '../dist/index.js';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.cjs');
/**
 * The support matrix, as crinit itself reports it (`crinit list`): tests take the distros and
 * what each supports from here, never from a list of their own.
 */
export const MATRIX = listMatrix();
export const DISTROS: readonly string[] = [...new Set(MATRIX.filter((r) => r.backends.includes('cloud-init')).map((r) => r.distro))];
/** The distros provisioned by Ignition. */
export const IGNITION_DISTROS: readonly string[] = [...new Set(MATRIX.filter((r) => r.backends.includes('ignition')).map((r) => r.distro))];

/** Whether DISTRO/RUNTIME renders on its default source. */
export function supports(distro: string, runtime: string): boolean {
  return MATRIX.find((r) => r.profile === `${distro}/${runtime}`)?.supported ?? false;
}

/** Whether `kubernetes.version` renders on DISTRO/containerd (with its packages or its sysext image). */
export function supportsKubernetes(distro: string): boolean {
  return MATRIX.find((r) => r.profile === `${distro}/containerd`)?.kubernetes.supported ?? false;
}

/** Under CRINIT_REQUIRE_TOOLS=1 (CI) a missing tool fails the test instead of skipping it. */
export const REQUIRE_TOOLS = process.env.CRINIT_REQUIRE_TOOLS === '1';

const toolCache = new Map<string, boolean>();
export function hasTool(name: string): boolean {
  if (!toolCache.has(name)) toolCache.set(name, spawnSync('sh', ['-c', `command -v ${name}`]).status === 0);
  return toolCache.get(name)!;
}

/**
 * needTool skips the calling test, saying why, when `name` is not installed; under
 * CRINIT_REQUIRE_TOOLS=1 it fails it instead.
 */
export function needTool(ctx: { skip: (note?: string) => void }, name: string, pkg = name): void {
  if (hasTool(name)) return;
  const why = `${name} is not installed (apt-get install ${pkg})`;
  if (REQUIRE_TOOLS) throw new Error(`CRINIT_REQUIRE_TOOLS=1 but ${why}`);
  process.stderr.write(`skipping: ${why}\n`);
  ctx.skip(why);
}

export function runCli(args: readonly string[], opts: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', input: opts.input ?? '' });
}

export function tempDir(prefix = 'crinit-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The line cloud-init's runcmd module writes for one entry: a string as it is, a list word by word in single quotes. */
export function runcmdLine(entry: string | readonly string[]): string {
  const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
  return typeof entry === 'string' ? entry : entry.map(quote).join(' ');
}

/** The shell script cloud-init's runcmd module writes: one line per entry. */
export function runcmdScript(runcmd: readonly (string | readonly string[])[]): string {
  return '#!/bin/sh\n' + runcmd.map(runcmdLine).join('\n') + '\n';
}

/**
 * systemdSplit splits an ExecStart= value the way systemd does for the cases crinit writes:
 * words separated by spaces, double-quoted words with \\ escapes, %% for % and $$ for $.
 */
export function systemdSplit(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let w = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') i++;
        w += line[i++];
      }
      i++;
    } else {
      while (i < line.length && line[i] !== ' ') w += line[i++];
    }
    words.push(w.replace(/%%/g, '%').replace(/\$\$/g, '$'));
  }
  return words;
}
