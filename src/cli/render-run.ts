/**
 * @fileoverview `crinit render`: one profile to stdout or -o (atomically), in any --format, or
 * every node of an inventory into a directory (all or none).
 */
import { basename } from 'node:path';
import { workerThreads } from '../builtins.js';
import { readFileSync } from 'node:fs';
import { stageTree, writeFileAtomically, type StagedTree } from '../atomic.js';
import { BACKENDS } from '../backends/registry.js';
import { deliver, isMimeType, mimeMultipart, type MimePart, type Platform } from '../delivery.js';
import { CODES, diagnosticJson, hasErrors, type Diagnostic } from '../diagnostics.js';
import { outputFileName, renderInventory, renderInventoryStream, type CheckElsewhere, type FleetHooks, type FleetResult } from '../fleet.js';
import type { ChunkResult, ReadElsewhere } from '../inventory.js';
import type { CompileOptions } from '../compile.js';
import type { CheckAnswer, CheckJob, CheckMessage } from './check-worker.js';
import type { WorkerKind } from './worker.cjs';
import type { Worker } from 'node:worker_threads';
import { FORMAT_NAMES, FORMATS, type FormatName } from '../outputs/formats.js';
import { checkOfflineTexts } from '../offline.js';
import { cannotReadInventory, EXIT, exitCodeFor, readText, report, cannotWrite } from './io.js';
import { compileArg } from './compile-arg.js';

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
  annotate?: boolean;
  json?: boolean;
  strict?: boolean;
  /** `crinit validate`: every check render runs, nothing written; says ok (or the JSON verdict) instead. */
  validateOnly?: boolean;
}

/**
 * The helper threads' young generation: 4 MB instead of V8's default keeps a 10,000-node fleet's
 * three heaps under 200 MB, at no measured cost in time (docs/benchmarks.md).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

/** helper starts a helper thread of `render --inventory` (src/cli/worker.cts). */
function helper(kind: WorkerKind): Worker {
  return new (workerThreads().Worker)(new URL('./worker.cjs', import.meta.url), { workerData: kind, resourceLimits: WORKER_LIMITS });
}

/**
 * checker runs checkValues on a worker thread (src/cli/check-worker.ts): each profile is sent
 * once, then each distinct set of values. The jobs of one turn of this thread (a piece of the
 * inventory) go in one message, and come back in one.
 */
function checker(): { check: CheckElsewhere; close: () => Promise<void> } {
  let next = 0;
  const waiting = new Map<number, (d: readonly Diagnostic[]) => void>();
  const groups = new Map<CompileOptions, number>();
  let queued: CheckJob[] = [];
  // Started now, so that its modules load while this thread starts on the inventory.
  const worker = helper('check');
  worker.on('message', (answer: CheckAnswer) => {
    for (const m of answer) {
      waiting.get(m.id)!(m.diagnostics);
      waiting.delete(m.id);
    }
  });
  // A worker that fails answers every waiting check with an internal error.
  const fail = (why: string): void => {
    for (const [id, resolve] of waiting) resolve([{ severity: 'error', code: CODES.internal, message: `internal error: the check worker ${why}`, hint: 'this is a crinit bug; please report it with the profile' }]), waiting.delete(id);
  };
  worker.on('error', (e) => fail(`failed: ${e.message}`));
  worker.on('exit', () => fail('stopped'));
  const queue = (job: CheckJob): void => {
    if (queued.length === 0)
      queueMicrotask(() => {
        const message: CheckMessage = queued;
        queued = [];
        worker.postMessage(message);
      });
    queued.push(job);
  };
  return {
    check: (options, values) => {
      let group = groups.get(options as CompileOptions);
      if (group === undefined) {
        groups.set(options as CompileOptions, (group = groups.size));
        queue({ group, profile: options.profile, set: options.set ?? [] });
      }
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        queue({ id, group, values });
      });
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * reader reads an inventory's pieces on a thread of its own (src/cli/inventory-worker.ts),
 * started now so that it is ready when the pieces are: each piece comes back in order.
 */
function reader(): { read: ReadElsewhere; close: () => Promise<void> } {
  const worker = helper('inventory');
  const results: ChunkResult[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  worker.on('message', (r: ChunkResult) => {
    results.push(r);
    wake?.();
  });
  const fail = (e: Error): void => {
    failure ??= e;
    wake?.();
  };
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('the inventory reader stopped')));
  return {
    read: (job) => {
      worker.postMessage(job);
      return (async function* () {
        for (let i = 0; i < job.chunks.length; i++) {
          while (results.length <= i && !failure) await new Promise<void>((resolve) => (wake = resolve));
          if (results.length <= i) throw failure!;
          yield results[i]!;
          results[i] = undefined as unknown as ChunkResult;
        }
      })();
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

/** writeInventory writes one user-data file per node of an inventory into a directory. */
async function writeInventory(inventory: string, opts: RenderOptions): Promise<void> {
  const diagnostics: Diagnostic[] = [];
  const usage = (message: string, hint: string) => diagnostics.push({ severity: 'error', code: CODES.inventory, message, hint });
  if (!opts.output) usage('--inventory needs -o DIR, the directory for the outputs', 'add -o nodes/');
  if ((opts.format !== undefined && FORMATS[opts.format].inventoryExtension === undefined) || opts.gzip || opts.base64 || opts.annotate || opts.var.length || opts.tfVar.length || opts.part.length) {
    usage('--inventory renders plain cloud-config or Ignition per node; per-node values come from the inventory', 'drop --format, --gzip, --base64, --annotate, --var, --tf-var and --part');
  }
  const text = readText(inventory);
  if (text === undefined) diagnostics.push(cannotReadInventory(inventory));
  if (hasErrors(diagnostics) || text === undefined) {
    report(diagnostics);
    process.exitCode = EXIT.invalid;
    return;
  }
  // Both threads are started now, so that their modules load while this one starts.
  const pieces = reader();
  const checks = checker();
  const tty = process.stderr.isTTY === true;
  // Each node's output is staged as soon as it is rendered; the staged tree replaces the
  // directory only when every node rendered (all or none).
  let tree: StagedTree | undefined;
  let written = 0;
  let drawn = 0;
  const hooks: FleetHooks = {
    onProgress: (done, total, name) => {
      // Redrawn at most ten times a second, and once at the end.
      if (!tty) return;
      const now = Date.now();
      if (done < total && now - drawn < 100) return;
      drawn = now;
      const width = 30;
      const fill = Math.round((done / total) * width);
      process.stderr.write(`\r[${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${done}/${total} ${name.slice(0, 30).padEnd(30)}`);
    },
    sink: (o) => {
      (tree ??= stageTree(opts.output!)).write({ path: outputFileName(o), data: o.output, mode: 0o600 });
      written++;
    },
    // Each node's values are checked on a second thread while this one fills and stages outputs.
    checkElsewhere: checks.check,
  };
  const options = { readFile: readText, set: opts.set };
  let fleet: FleetResult;
  try {
    // Read in pieces on a third thread while this one renders them; when that cannot be done or
    // finds anything wrong, read whole and rendered again from the start.
    const streamed = await renderInventoryStream(inventory, text, options, hooks, pieces.read);
    if (!streamed) {
      // What was staged is dropped; the whole read renders from the start into a new tree.
      tree?.abort();
      tree = undefined;
      written = 0;
    }
    fleet = streamed ?? renderInventory(inventory, text, options, hooks);
  } catch (e) {
    await Promise.all([checks.close(), pieces.close()]);
    tree?.abort();
    cannotWrite(`to ${opts.output}`, e);
    return;
  }
  void pieces.close();
  const refusals = await (fleet.refusals ?? Promise.resolve([]));
  await checks.close();
  if (refusals.length > 0) fleet = { ...fleet, diagnostics: [...fleet.diagnostics, ...refusals] };
  if (tty && written > 0) process.stderr.write('\n');
  report(fleet.diagnostics, opts.json === true);
  const code = exitCodeFor(fleet.diagnostics, opts.strict === true);
  if (code !== EXIT.ok) {
    tree?.abort();
    process.exitCode = code;
    return;
  }
  try {
    // All the nodes or none; files crinit did not write in that directory stay as they are.
    (tree ?? stageTree(opts.output!)).commit();
  } catch (e) {
    cannotWrite(`to ${opts.output}`, e);
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


/** The action of `crinit render`. */
export async function runRender(arg: string | undefined, opts: RenderOptions): Promise<void> {
  if (opts.inventory !== undefined || arg === undefined) {
    if (opts.inventory === undefined || arg !== undefined) {
      process.stderr.write(`error: ${arg === undefined ? 'missing required argument \'profile\'' : 'give either a profile or --inventory, not both'}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    await writeInventory(opts.inventory, opts);
    return;
  }
  // Compressed bytes on a terminal are of no use to anyone and can upset it.
  if (opts.gzip && !opts.base64 && !opts.output && !opts.validateOnly && process.stdout.isTTY) {
    process.stderr.write('error: --gzip writes binary data, and standard output is a terminal\n  hint: add -o FILE, pipe the output (| base64), or add --base64\n');
    process.exitCode = EXIT.usage;
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
        ...(opts.annotate ? { annotate: true } : {}),
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
    // --offline reads the parts as the node will: each part's URLs, and its commands.
    if (opts.offline && 'profile' in result && result.profile) {
      diagnostics.push(...checkOfflineTexts(result.profile, parts.map((p) => ({ where: `the part ${p.filename}`, text: p.content.toString('utf8'), commands: true })), result.chain));
    }
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
  const code = exitCodeFor(diagnostics, opts.strict === true);
  if (opts.validateOnly) {
    // validate's verdict: on stdout, as JSON with --json.
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok: code === EXIT.ok && bytes !== undefined, profile: arg, chain: result.chain, diagnostics: diagnostics.map(diagnosticJson) })}\n`);
    else report(diagnostics);
    process.exitCode = code !== EXIT.ok ? code : bytes === undefined ? EXIT.internal : EXIT.ok;
    if (!opts.json && process.exitCode === EXIT.ok) process.stdout.write(`ok: ${arg} (${result.chain})\n`);
    return;
  }
  report(diagnostics, opts.json === true);
  if (code !== EXIT.ok || bytes === undefined) {
    process.exitCode = code === EXIT.ok ? EXIT.internal : code;
    return;
  }
  // --platform may have gzipped it to fit: still no binary on a terminal.
  if (!opts.output && process.stdout.isTTY && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    process.stderr.write('error: the output is gzip-compressed (to fit the platform), and standard output is a terminal\n  hint: add -o FILE, pipe the output, or add --base64\n');
    process.exitCode = EXIT.usage;
    return;
  }
  if (opts.output) {
    try {
      writeFileAtomically(opts.output, bytes);
    } catch (e) {
      cannotWrite(opts.output, e);
      return;
    }
  } else {
    process.stdout.write(bytes);
  }
}
