/**
 * @fileoverview The commands that describe rather than render: `crinit manifest`, `crinit
 * runtimeclasses` and `crinit list`. (`crinit validate` is render without output: render-run.ts.)
 */
import { LIST_KUBERNETES, listMatrix } from '../list.js';
import { stringify } from 'yaml';
import { formatManifest, manifest } from '../offline.js';
import { runtimeClasses } from '../runtimeclasses.js';
import { EXIT, exitCodeFor, report } from './io.js';
import { compileArg } from './compile-arg.js';

/**
 * compiledOrExit compiles the profile a command names and reports its diagnostics; undefined,
 * with the exit code set, when it does not compile.
 */
function compiledOrExit(arg: string, set: readonly string[]): ReturnType<typeof compileArg> | undefined {
  const result = compileArg(arg, set);
  report([...result.diagnostics]);
  const code = exitCodeFor(result.diagnostics);
  if (code !== EXIT.ok || !result.plan || !result.profile) {
    process.exitCode = code === EXIT.ok ? EXIT.internal : code;
    return undefined;
  }
  return result;
}

/** The action of `crinit manifest`. */
export function runManifest(arg: string, opts: { set: string[]; json?: boolean }): void {
  const result = compiledOrExit(arg, opts.set);
  if (!result?.plan) return;
  const entries = manifest(result.plan);
  const fromRepos = new Set(entries.flatMap((e) => (e.packages ?? []).map((p) => p.split(' ')[0]!)));
  const distroPackages = result.plan.packages.filter((p) => !fromRepos.has(p.name)).map((p) => (p.version ? `${p.name} ${p.version.raw}` : p.name));
  process.stdout.write(opts.json ? `${JSON.stringify({ profile: result.chain, artifacts: entries, distroPackages }, null, 2)}\n` : formatManifest(entries, distroPackages));
}

/** The action of `crinit runtimeclasses`: a YAML stream, one document per handler. */
export function runRuntimeClasses(arg: string, opts: { set: string[] }): void {
  const result = compiledOrExit(arg, opts.set);
  if (!result?.profile) return;
  const classes = runtimeClasses(result.profile);
  if (classes.length === 0) process.stderr.write(`${arg} has no runtime.handlers: there is no RuntimeClass to print\n`);
  process.stdout.write(classes.map((c) => stringify(c)).join('---\n'));
}

/** The action of `crinit list`. */
/** The width `crinit list` fits without --wide, and wraps its notes to. */
const LIST_WIDTH = 120;

/** Prints rows as columns, each as wide as its widest cell, two spaces apart. */
function printTable(lines: readonly (readonly string[])[]): void {
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) process.stdout.write(l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
}

/** Wraps prose to LIST_WIDTH, continuation lines indented under the first. */
function wrap(text: string, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > LIST_WIDTH) {
      out.push(line);
      line = `${indent}    ${word}`;
    } else line = line ? `${line} ${word}` : `${indent}${word}`;
  }
  if (line) out.push(line);
  return out;
}

export function runList(opts: { json?: boolean; wide?: boolean }): void {
  const rows = listMatrix();
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const kubernetes = (r: (typeof rows)[number]): string => (!r.supported ? '-' : r.kubernetes.via === 'sysext' ? 'sysext' : r.kubernetes.supported ? 'packages' : 'refused');
  if (!opts.wide) {
    // One line per combination, what its default source installs: within LIST_WIDTH columns.
    const lines = [['PROFILE', 'SOURCE', 'INSTALLS', 'PROOF', `K8S ${LIST_KUBERNETES}`, 'HANDLERS']];
    // What a source needs the profile to give is a numbered note under the table, so that the
    // table keeps within LIST_WIDTH.
    const needs: string[] = [];
    const note = (text: string): string => {
      if (!needs.includes(text)) needs.push(text);
      return `[${needs.indexOf(text) + 1}]`;
    };
    for (const r of rows) {
      const src = r.sources.find((x) => x.source === r.defaultSource);
      const ok = r.supported && src?.supported;
      const what = !ok ? '-' : r.defaultSource === 'builtin' ? `in image ${src!.version}` : `${src!.package}${src!.sysext ? '' : ` ${src!.version}`}${src!.needs ? ` ${note(src!.needs)}` : ''}`;
      const proof = !ok ? '-' : src!.proof === 'boot' ? 'booted' : src!.proof === 'stand-in boot' ? 'stand-in' : 'validated';
      lines.push([r.profile, ok ? r.defaultSource : '-', what, proof, kubernetes(r), r.handlers.join(',') || '-']);
    }
    printTable(lines);
    if (needs.length > 0) process.stdout.write(`\n${needs.map((n, i) => `[${i + 1}] ${n}`).join('   ')}\n`);
    process.stdout.write('\nEvery source, with config versions and what each needs: crinit list --wide (or --json).\n');
    listNotes(rows);
    return;
  }
  const lines = [['PROFILE', 'DEFAULT SOURCE', 'UPSTREAM', 'DISTRO', 'BUILTIN', 'BACKENDS', `KUBERNETES ${LIST_KUBERNETES}`, 'HANDLERS']];
  for (const r of rows) {
    const cell = (s: string) => {
      const src = r.sources.find((x) => x.source === s)!;
      if (!src.supported) return '-';
      const what = s === 'builtin' ? `in image ${src.version}` : src.sysext ? `${src.package}, a release (${src.needs})` : `${src.package} ${src.version}${src.needs ? ` (${src.needs})` : ''}`;
      const proof = src.proof === 'boot' ? 'booted' : src.proof === 'stand-in boot' ? 'booted on a stand-in' : 'validated';
      const detail = src.configVersion !== undefined ? `config v${src.configVersion}, ` : src.criDockerd !== undefined ? `cri-dockerd ${src.criDockerd}, ` : '';
      return `${what} (${detail}${proof})`;
    };
    lines.push([r.profile, r.defaultSource, cell('upstream'), cell('distro'), cell('builtin'), r.backends.join(',') || '-', !r.supported ? '-' : r.kubernetes.via === 'sysext' ? 'sysext (give its sha256)' : r.kubernetes.supported ? 'pkgs.k8s.io' : 'refused', r.handlers.join(',') || '-']);
  }
  printTable(lines);
  listNotes(rows);
}

/** Why each - above is one, wrapped to LIST_WIDTH. */
function listNotes(rows: ReturnType<typeof listMatrix>): void {
  // Only the sources a distro could have: builtin is an image's, the others a package's.
  const notes = rows.flatMap((r) =>
    !r.supported
      ? [`${r.profile}: ${r.reason}`]
      : r.sources.filter((s) => !s.supported && (s.source === 'builtin') === r.backends.includes('ignition')).map((s) => `${r.profile} ${s.source}: ${s.reason}`),
  );
  if (notes.length) process.stdout.write(`\nUnsupported (- above):\n${notes.flatMap((n) => wrap(n, '  ')).join('\n')}\n`);
  // One line per distro: the reason is the distro's, whatever the runtime.
  const k8sNotes = [...new Map(rows.filter((r) => r.supported && !r.kubernetes.supported).map((r) => [r.distro, `${r.distro}: ${r.kubernetes.reason}`])).values()];
  if (k8sNotes.length) process.stdout.write(`\nKubernetes ${LIST_KUBERNETES} packages refused (kubernetes.version):\n${k8sNotes.flatMap((n) => wrap(n, '  ')).join('\n')}\n`);
}
