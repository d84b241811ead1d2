#!/usr/bin/env node
/**
 * @fileoverview The crinit command line. Commands are thin: they read files, call compile(),
 * print diagnostics to stderr and the output to stdout (or -o, atomically), and set the exit
 * code from the diagnostics.
 *
 * Exit codes: 0 ok, 1 invalid input, 2 usage, 3 internal error (a crinit bug or an I/O failure).
 */
import { stageTree, writeFileAtomically, writeTreeAtomically, type StagedTree } from './atomic.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { CRINIT_VERSION } from './assets.generated.js';
import { formatManifest, manifest } from './offline.js';
import { compile, type CompileOptions, type CompileResult } from './compile.js';
import { CODES, formatDiagnostic, hasErrors, type Diagnostic } from './diagnostics.js';
import { LIST_KUBERNETES, listMatrix } from './list.js';
import { outputFileName, renderInventory } from './fleet.js';
import { exportMatchbox } from './matchbox.js';
import { createBootServer, loadState } from './serve.js';
import { deliver, isMimeType, mimeMultipart, PLATFORM_LIMITS, type MimePart, type Platform } from './delivery.js';
import { isBuiltinName } from './profile/resolve.js';
import { BACKENDS } from './backends/registry.js';
import { FORMAT_NAMES, FORMATS, type FormatName } from './outputs/formats.js';

export const EXIT = { ok: 0, invalid: 1, usage: 2, internal: 3 } as const;

function readText(path: string): string | undefined {
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

function report(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
}

type ExtraOptions = Pick<CompileOptions, 'variables' | 'terraformTemplate' | 'offline'>;

/** compileArg compiles a built-in name or a profile file named on the command line. */
function compileArg(arg: string, set: readonly string[], extra: ExtraOptions = {}): CompileResult {
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

interface RenderOptions {
  output?: string;
  set: string[];
  platform: Platform;
  gzip?: boolean;
  base64?: boolean;
  format?: FormatName;
  part: string[];
  var: string[];
  tfVar: string[];
  inventory?: string;
  offline?: boolean;
}

/** cannotReadInventory is the one diagnostic for an inventory file that cannot be read. */
function cannotReadInventory(inventory: string): Diagnostic {
  return { severity: 'error', code: CODES.inventory, message: `cannot read the inventory ${JSON.stringify(inventory)}`, hint: 'pass the path of a YAML or CSV inventory' };
}

/** writeInventory writes one user-data file per node of an inventory into a directory. */
function writeInventory(inventory: string, opts: RenderOptions): void {
  const diagnostics: Diagnostic[] = [];
  const usage = (message: string, hint: string) => diagnostics.push({ severity: 'error', code: CODES.inventory, message, hint });
  if (!opts.output) usage('--inventory needs -o DIR, the directory for the outputs', 'add -o nodes/');
  if ((opts.format !== undefined && FORMATS[opts.format].inventoryExtension === undefined) || opts.gzip || opts.base64 || opts.var.length || opts.tfVar.length || opts.part.length) {
    usage('--inventory renders plain cloud-config or Ignition per node; per-node values come from the inventory', 'drop --format, --gzip, --base64, --var, --tf-var and --part');
  }
  const text = readText(inventory);
  if (text === undefined) diagnostics.push(cannotReadInventory(inventory));
  if (hasErrors(diagnostics) || text === undefined) {
    report(diagnostics);
    process.exitCode = EXIT.invalid;
    return;
  }
  const tty = process.stderr.isTTY === true;
  // Each node's output is staged as soon as it is rendered; the staged tree replaces the
  // directory only when every node rendered (all or none).
  let tree: StagedTree | undefined;
  let written = 0;
  const cannotWrite = (e: unknown): void => {
    process.stderr.write(`error ${CODES.internal}: cannot write to ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    process.exitCode = EXIT.internal;
  };
  let fleet: ReturnType<typeof renderInventory>;
  try {
    fleet = renderInventory(
      inventory,
      text,
      { readFile: readText, set: opts.set },
      (done, total, name) => {
        if (!tty) return;
        const width = 30;
        const fill = Math.round((done / total) * width);
        process.stderr.write(`\r[${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${done}/${total} ${name.slice(0, 30).padEnd(30)}`);
      },
      (o) => {
        (tree ??= stageTree(opts.output!)).write({ path: outputFileName(o), data: o.output, mode: 0o600 });
        written++;
      },
    );
  } catch (e) {
    tree?.abort();
    cannotWrite(e);
    return;
  }
  if (tty && written > 0) process.stderr.write('\n');
  report(fleet.diagnostics);
  const code = exitCodeFor(fleet.diagnostics);
  if (code !== EXIT.ok) {
    tree?.abort();
    process.exitCode = code;
    return;
  }
  try {
    // All the nodes or none; files crinit did not write in that directory stay as they are.
    (tree ?? stageTree(opts.output!)).commit();
  } catch (e) {
    cannotWrite(e);
    return;
  }
  process.stderr.write(`wrote ${written} node${written === 1 ? '' : 's'} to ${opts.output} (${fleet.profilesCompiled} profile${fleet.profilesCompiled === 1 ? '' : 's'} compiled)\n`);
}

/** parseVars reads --var name=value arguments. */
function parseVars(args: readonly string[]): { values: Record<string, string>; diagnostics: Diagnostic[] } {
  const values: Record<string, string> = {};
  const diagnostics: Diagnostic[] = [];
  for (const a of args) {
    const m = /^([a-z_][a-z0-9_]*)=(.*)$/s.exec(a);
    if (m) values[m[1]!] = m[2]!;
    else diagnostics.push({ severity: 'error', code: CODES.variable, message: `cannot read --var ${JSON.stringify(a.split('=')[0])}`, hint: 'write --var name=value, with a lower-case name such as hostname' });
  }
  return { values, diagnostics };
}

/** readParts reads --part FILE[:content-type]; the type defaults from the file's first line. */
function readParts(specs: readonly string[]): { parts: MimePart[]; diagnostics: Diagnostic[] } {
  const parts: MimePart[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const spec of specs) {
    const m = /^(.*?)(?::([a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*))?$/.exec(spec)!;
    const file = m[1]!;
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch {
      diagnostics.push({ severity: 'error', code: CODES.part, message: `cannot read the part ${JSON.stringify(file)}`, hint: 'write --part FILE[:content-type], e.g. --part extra.sh:text/x-shellscript' });
      continue;
    }
    const first = content.subarray(0, 64).toString('utf8');
    const type = m[2] ?? (first.startsWith('#cloud-config') ? 'text/cloud-config' : first.startsWith('#!') ? 'text/x-shellscript' : undefined);
    if (!type || !isMimeType(type)) {
      diagnostics.push({ severity: 'error', code: CODES.part, message: `cannot tell the content type of the part ${JSON.stringify(file)}`, hint: 'name it: --part FILE:text/cloud-config, FILE:text/x-shellscript, …' });
      continue;
    }
    parts.push({ contentType: type, content, filename: basename(file) });
  }
  return { parts, diagnostics };
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
    .argument('[profile]', 'e.g. ubuntu-24.04/containerd, or node.yaml (not with --inventory)')
    .option('--inventory <file>', 'render every node of a YAML or CSV inventory into -o DIR, one <name>.user-data each')
    .option('-o, --output <file>', 'write to FILE atomically instead of stdout')
    .option('--set <key=value>', 'override a profile key, e.g. --set runtime.cgroupDriver=systemd (repeatable)', collect, [])
    .addOption(new Option('--platform <name>', 'fit the size limit of a platform, gzipping when it takes gzip').choices(Object.keys(PLATFORM_LIMITS)).default('none'))
    .option('--gzip', 'gzip the output (deterministic: no time stamp, no file name)')
    .option('--base64', 'base64-encode the (possibly gzipped) output')
    .addOption(
      new Option(
        '--format <format>',
        "the distro's own by default: cloud-config (or mime, with --part files) for cloud-init distros, ignition (or butane) for fcos and flatcar; tftpl, a Terraform templatefile() template of either",
      ).choices(FORMAT_NAMES),
    )
    .option('--part <file[:type]>', 'with --format mime: add a user part, e.g. extra.sh:text/x-shellscript (repeatable)', collect, [])
    .option('--var <name=value>', 'a value for a per-node variable (${name} in the profile; repeatable)', collect, [])
    .option('--tf-var <name>', 'with --format tftpl: keep ${name} a live Terraform interpolation (repeatable)', collect, [])
    .option('--offline', 'fail, listing them, if any public host is left in the output after mirrors: (air-gapped sites)')
    .action((arg: string | undefined, opts: RenderOptions) => {
      if (opts.inventory !== undefined || arg === undefined) {
        if (opts.inventory === undefined || arg !== undefined) {
          process.stderr.write(`error: ${arg === undefined ? 'missing required argument \'profile\'' : 'give either a profile or --inventory, not both'}\n`);
          process.exitCode = EXIT.usage;
          return;
        }
        writeInventory(opts.inventory, opts);
        return;
      }
      const vars = parseVars(opts.var);
      const diagnostics: Diagnostic[] = [...vars.diagnostics];
      const fmt = opts.format !== undefined ? FORMATS[opts.format] : undefined;
      const given = { gzip: !!opts.gzip, base64: !!opts.base64, var: opts.var.length > 0 };
      if (fmt?.refuses && fmt.refuses.options.some((o) => given[o])) {
        diagnostics.push({ severity: 'error', code: CODES.variable, message: fmt.refuses.why, hint: fmt.refuses.hint });
      }
      if (opts.tfVar.length > 0 && fmt?.wrap !== 'template') {
        diagnostics.push({ severity: 'error', code: CODES.variable, message: '--tf-var needs --format tftpl', hint: 'add --format tftpl, or give a value with --var name=value' });
      }
      const result = hasErrors(diagnostics)
        ? { diagnostics: [] as Diagnostic[], chain: arg }
        : compileArg(arg, opts.set, {
            ...(opts.offline ? { offline: true } : {}),
            ...(fmt?.wrap === 'template' ? { terraformTemplate: { variables: opts.tfVar } } : { variables: vars.values }),
            ...(fmt?.document ? { document: fmt.document } : {}),
          });
      diagnostics.push(...result.diagnostics);
      // The format must be one the distro's first-boot system reads.
      const backend = 'backend' in result && result.backend !== undefined ? BACKENDS[result.backend] : undefined;
      if (backend) {
        if (fmt && !fmt.backends.includes(backend.name)) {
          const fits = FORMAT_NAMES.filter((f) => FORMATS[f].backends.includes(backend.name));
          diagnostics.push({ severity: 'error', code: CODES.capability, message: `--format ${fmt.name} is ${fmt.summary}, but this profile's distro is provisioned by ${backend.system}`, hint: `use --format ${fits.join(', ')} (${backend.document} is the default here)` });
        }
        if (!backend.readsGzip && opts.gzip) {
          diagnostics.push({ severity: 'error', code: CODES.capability, message: `${backend.system} does not read a gzip-compressed config from user-data`, hint: 'drop --gzip: crinit already gzips each file inside the config where that is smaller' });
        }
      }
      if (opts.part.length > 0 && fmt?.wrap !== 'multipart') {
        diagnostics.push({ severity: 'error', code: CODES.part, message: '--part needs --format mime', hint: 'add --format mime' });
      }
      let payload: string | Buffer | undefined = 'output' in result ? result.output : undefined;
      const contributors = [...(('contributors' in result ? result.contributors : undefined) ?? [])];
      if (payload !== undefined && fmt?.wrap === 'multipart') {
        const { parts, diagnostics: partErrors } = readParts(opts.part);
        diagnostics.push(...partErrors);
        payload = mimeMultipart([{ contentType: 'text/cloud-config', content: Buffer.from(payload, 'utf8'), filename: 'crinit.cfg' }, ...parts]);
        contributors.push(...parts.map((p) => ({ label: `part ${p.filename}`, bytes: p.content.length })));
      }
      let bytes: Buffer | undefined;
      if (payload !== undefined && !hasErrors(diagnostics)) {
        const delivered = deliver(payload, contributors, {
          platform: opts.platform,
          ...(opts.gzip ? { gzip: true } : {}),
          ...(opts.base64 ? { base64: true } : {}),
          ...(backend && !backend.readsGzip ? { gzipAccepted: false } : {}),
        });
        diagnostics.push(...delivered.diagnostics);
        bytes = delivered.bytes;
      }
      report(diagnostics);
      const code = exitCodeFor(diagnostics);
      if (code !== EXIT.ok || bytes === undefined) {
        process.exitCode = code === EXIT.ok ? EXIT.internal : code;
        return;
      }
      if (opts.output) {
        try {
          writeFileAtomically(opts.output, bytes);
        } catch (e) {
          process.stderr.write(`error ${CODES.internal}: cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
          process.exitCode = EXIT.internal;
          return;
        }
      } else {
        process.stdout.write(bytes);
      }
    });

  program
    .command('export')
    .description('write the machines of an inventory as a matchbox data directory (profiles, groups, ignition)')
    .argument('<target>', 'matchbox')
    .requiredOption('--inventory <file>', 'a YAML or CSV inventory with a mac (and boot entry) per machine')
    .requiredOption('-o, --output <dir>', 'the matchbox data directory to write (-data-path)')
    .requiredOption('--matchbox-url <url>', "matchbox's HTTP address as the machines reach it, e.g. http://matchbox.example.com:8080")
    .option('--set <key=value>', 'override a profile key for every machine (repeatable)', collect, [])
    .action((target: string, opts: { inventory: string; output: string; matchboxUrl: string; set: string[] }) => {
      if (target !== 'matchbox' || !/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/.test(opts.matchboxUrl)) {
        process.stderr.write(target !== 'matchbox' ? `error: unknown export target ${JSON.stringify(target)}; crinit exports to matchbox\n` : 'error: --matchbox-url takes http(s)://HOST[:PORT]\n');
        process.exitCode = EXIT.usage;
        return;
      }
      const text = readText(opts.inventory);
      if (text === undefined) {
        report([cannotReadInventory(opts.inventory)]);
        process.exitCode = EXIT.invalid;
        return;
      }
      const fleet = renderInventory(opts.inventory, text, { readFile: readText, set: opts.set });
      const exported = hasErrors(fleet.diagnostics) ? { files: [], diagnostics: [] } : exportMatchbox(fleet.outputs, opts.matchboxUrl, opts.inventory);
      const diagnostics = [...fleet.diagnostics, ...exported.diagnostics];
      report(diagnostics);
      const code = exitCodeFor(diagnostics);
      if (code !== EXIT.ok) {
        process.exitCode = code;
        return;
      }
      try {
        // Configs may hold secrets (0600: give matchbox's user access); profiles and groups do not.
        // All of it or none, and a machine that left the inventory leaves matchbox too.
        writeTreeAtomically(opts.output, exported.files.map((f) => ({ path: f.path, data: f.text, mode: f.path.startsWith('ignition/') ? 0o600 : 0o644 })));
      } catch (e) {
        process.stderr.write(`error ${CODES.internal}: cannot write to ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
        process.exitCode = EXIT.internal;
        return;
      }
      process.stderr.write(`wrote ${fleet.outputs.length} machine${fleet.outputs.length === 1 ? '' : 's'} to ${opts.output} (profiles/, groups/, ignition/)\n`);
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
    .command('serve')
    .description('serve NoCloud user-data and iPXE scripts for the machines of an inventory (SIGHUP reloads it)')
    .requiredOption('--inventory <file>', 'a YAML or CSV inventory with a mac per machine')
    .option('--listen <host:port>', 'the address to listen on', '127.0.0.1:8080')
    .option('--set <key=value>', 'override a profile key for every machine (repeatable)', collect, [])
    .action((opts: { inventory: string; listen: string; set: string[] }) => {
      const m = /^(.+):(\d{1,5})$/.exec(opts.listen);
      // A port past 65535 is a usage mistake, not an I/O error.
      if (!m || Number(m[2]) > 65535) {
        process.stderr.write('error: --listen takes host:port, e.g. 127.0.0.1:8080\n');
        process.exitCode = EXIT.usage;
        return;
      }
      const load = () => {
        const text = readText(opts.inventory);
        if (text === undefined) return { diagnostics: [cannotReadInventory(opts.inventory)] };
        return loadState(opts.inventory, text, { readFile: readText, set: opts.set });
      };
      const first = load();
      report(first.diagnostics);
      if (!first.state) {
        process.exitCode = exitCodeFor(first.diagnostics) || EXIT.invalid;
        return;
      }
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const boot = createBootServer(first.state, log);
      process.on('SIGHUP', () => {
        const next = load();
        report(next.diagnostics);
        if (next.state) {
          boot.setState(next.state);
          log(`reloaded ${opts.inventory}: ${next.state.byMac.size} machines`);
        } else log(`kept the previous inventory: ${opts.inventory} has errors`);
      });
      process.on('SIGTERM', () => boot.server.close(() => process.exit(0)));
      boot.server.on('error', (e: NodeJS.ErrnoException) => {
        process.stderr.write(`error ${CODES.internal}: cannot listen on ${opts.listen}: ${e.code ?? e.message}\n`);
        process.exit(EXIT.internal);
      });
      boot.server.listen(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ''), () => {
        const a = boot.server.address();
        const where = a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : opts.listen;
        log(`serving ${first.state!.byMac.size} machines on http://${where}/`);
      });
    });

  program
    .command('manifest')
    .description('list every artifact a profile fetches (repositories, keys, downloads, images) with its pin, to fill an air-gapped mirror')
    .argument('<profile>', 'e.g. ubuntu-24.04/containerd, or node.yaml')
    .option('--set <key=value>', 'override a profile key (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action((arg: string, opts: { set: string[]; json?: boolean }) => {
      const result = compileArg(arg, opts.set);
      report([...result.diagnostics]);
      const code = exitCodeFor(result.diagnostics);
      if (code !== EXIT.ok || !result.plan) {
        process.exitCode = code === EXIT.ok ? EXIT.internal : code;
        return;
      }
      const entries = manifest(result.plan);
      const fromRepos = new Set(entries.flatMap((e) => (e.packages ?? []).map((p) => p.split(' ')[0]!)));
      const distroPackages = result.plan.packages.filter((p) => !fromRepos.has(p.name)).map((p) => (p.version ? `${p.name} ${p.version.raw}` : p.name));
      process.stdout.write(opts.json ? `${JSON.stringify({ profile: result.chain, artifacts: entries, distroPackages }, null, 2)}\n` : formatManifest(entries, distroPackages));
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
      const lines = [['PROFILE', 'DEFAULT SOURCE', 'UPSTREAM', 'DISTRO', 'BUILTIN', 'BACKENDS', `KUBERNETES ${LIST_KUBERNETES}`]];
      for (const r of rows) {
        const cell = (s: string) => {
          const src = r.sources.find((x) => x.source === s)!;
          if (!src.supported) return '-';
          const what = s === 'builtin' ? `in image ${src.version}` : src.sysext ? `${src.package}, a release (sysext, give its sha256)` : `${src.package} ${src.version}`;
          const proof = src.proof === 'boot' ? 'booted' : src.proof === 'stand-in boot' ? 'booted on a stand-in' : 'validated';
          const detail = src.configVersion !== undefined ? `config v${src.configVersion}, ` : src.criDockerd !== undefined ? `cri-dockerd ${src.criDockerd}, ` : '';
          return `${what} (${detail}${proof})`;
        };
        lines.push([r.profile, r.defaultSource, cell('upstream'), cell('distro'), cell('builtin'), r.backends.join(',') || '-', !r.supported ? '-' : r.kubernetes.via === 'sysext' ? 'sysext (give its sha256)' : r.kubernetes.supported ? 'pkgs.k8s.io' : 'refused']);
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
    });
  return program;
}

export function main(argv: readonly string[]): void {
  // A reader that stops early (`crinit list | head`) closes the pipe: stop quietly, as other
  // command-line tools do, instead of crashing on EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
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
