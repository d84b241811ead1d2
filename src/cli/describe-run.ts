/**
 * @fileoverview The commands that describe rather than render: `crinit validate`, `crinit
 * manifest`, `crinit runtimeclasses` and `crinit list`.
 */
import { LIST_KUBERNETES, listMatrix } from '../list.js';
import { stringify } from 'yaml';
import { formatManifest, manifest } from '../offline.js';
import { runtimeClasses } from '../runtimeclasses.js';
import { EXIT, exitCodeFor, report } from './io.js';
import { compileArg } from './compile-arg.js';

/** The action of `crinit validate`. */
export function runValidate(arg: string, opts: { set: string[] }): void {
  const result = compileArg(arg, opts.set);
  report(result.diagnostics);
  process.exitCode = exitCodeFor(result.diagnostics);
  if (process.exitCode === EXIT.ok) process.stdout.write(`ok: ${arg} (${result.chain})\n`);
}

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
export function runList(opts: { json?: boolean }): void {
  const rows = listMatrix();
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
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
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) process.stdout.write(l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
  // Only the sources a distro could have: builtin is an image's, the others a package's.
  const notes = rows.flatMap((r) =>
    !r.supported
      ? [`  ${r.profile}: ${r.reason}`]
      : r.sources.filter((s) => !s.supported && (s.source === 'builtin') === r.backends.includes('ignition')).map((s) => `  ${r.profile} ${s.source}: ${s.reason}`),
  );
  if (notes.length) process.stdout.write(`\nUnsupported (- above):\n${notes.join('\n')}\n`);
  // One line per distro: the reason is the distro's, whatever the runtime.
  const k8sNotes = [...new Map(rows.filter((r) => r.supported && !r.kubernetes.supported).map((r) => [r.distro, `  ${r.distro}: ${r.kubernetes.reason}`])).values()];
  if (k8sNotes.length) process.stdout.write(`\nKubernetes ${LIST_KUBERNETES} packages refused (kubernetes.version):\n${k8sNotes.join('\n')}\n`);
}
