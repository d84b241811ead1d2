/**
 * @fileoverview Fleets: an inventory of machines (read by src/inventory.ts) rendered to one
 * output per node. Each distinct profile is compiled once, with
 * sentinels for the variables, and filled per node, which is what Terraform would do with the
 * template. The inventory is checked with positions; nothing is written unless every node
 * renders.
 */
import { posix } from 'node:path';
import { prepareTemplate, prepareValueCheck, type CompileOptions } from './compile.js';
import { hasErrors, type Diagnostic } from './diagnostics.js';
import { err, parseInventory, streamInventory, type InventoryNode, type ReadElsewhere } from './inventory.js';
import { isBuiltinName } from './profile/resolve.js';
import type { BackendName } from './profile/types.js';
import { BACKENDS } from './backends/registry.js';
import { FORMATS, formatOfDocument, type FormatName } from './outputs/formats.js';

export interface FleetOutput {
  readonly name: string;
  readonly output: string;
  /** The node's own document: cloud-config user-data, or an Ignition config (fcos, flatcar). */
  readonly format: FormatName;
  /** The backend of its distro. */
  readonly backend: BackendName;
  /** The distro's os-release ID (the Ignition boot arguments differ between fcos and flatcar). */
  readonly os: string;
  readonly node: InventoryNode;
}

/** The file name of a node's output: NAME.user-data or NAME.ign. */
export function outputFileName(o: FleetOutput): string {
  return `${o.name}.${FORMATS[o.format].inventoryExtension}`;
}

/**
 * Runs a node's check elsewhere (a worker thread): the promise holds the diagnostics checkValues
 * gives for these options and values.
 */
export type CheckElsewhere = (options: CompileOptions, values: Readonly<Record<string, string>>) => Promise<readonly Diagnostic[]>;

export interface FleetResult {
  readonly outputs: FleetOutput[];
  readonly profilesCompiled: number;
  readonly diagnostics: Diagnostic[];
  /**
   * With checkElsewhere: the refusals of the checks run elsewhere, once they have all run. Until
   * then every output went to the sink as if its values passed; any refusal here means none of
   * them may be kept.
   */
  readonly refusals?: Promise<Diagnostic[]>;
}

/** The diagnostics of a node whose values the profile refuses, each at the value that stands in the refused line. */
function refusalsOf(file: string, m: InventoryNode, used: readonly string[], found: readonly Diagnostic[]): Diagnostic[] {
  return found
    .filter((d) => d.severity === 'error')
    .map((d) => {
      const v = used.find((name) => d.sourceLine?.includes(`\${${name}}`)) ?? used[0]!;
      const where = d.file ? ` (${d.file}${d.position ? `:${d.position.line}:${d.position.col}` : ''})` : '';
      return { ...err(file, m.varPositions?.[v] ?? m.position, `${m.name}: with its values of ${used.join(', ')}, the profile is refused${where}: ${d.message}`, d.hint ?? 'change the value'), code: d.code };
    });
}

/** The options a fleet's render takes besides its nodes. */
export interface FleetHooks {
  readonly onProgress?: (done: number, total: number, name: string) => void;
  /** With a sink, each output goes there as soon as it is rendered and is not kept. */
  readonly sink?: (output: FleetOutput) => void;
  readonly checkElsewhere?: CheckElsewhere;
}

/** A profile of the fleet, compiled once with sentinels for the variables its nodes carry. */
interface FleetProfile {
  readonly compileOptions: CompileOptions;
  /** The variable names it was compiled with. */
  readonly names: readonly string[];
  readonly prepared: ReturnType<typeof prepareTemplate>;
  readonly checkValues: ReturnType<typeof prepareValueCheck>;
  /** Each distinct set of values' verdict, or its check running elsewhere. */
  readonly checked: Map<string, readonly Diagnostic[]>;
  readonly sent: Map<string, Promise<readonly Diagnostic[]>>;
  /** Every variable name its nodes carry. */
  readonly carried: Set<string>;
}

/**
 * A fleet being rendered, node by node in inventory order. Each distinct profile is compiled the
 * first time a node names it, with the variable names of the nodes that name it in the same
 * add(); finish() reports whether later nodes carried other names (the whole inventory read at
 * once compiles with all of them).
 */
export interface FleetRun {
  /** Records the nodes' names and MAC addresses; a repeat is an error. */
  twins(nodes: readonly InventoryNode[]): void;
  /** Renders the nodes; every error is recorded, and once there is one, no output is kept. */
  add(nodes: readonly InventoryNode[]): void;
  readonly diagnostics: readonly Diagnostic[];
  /** The result, and whether every profile was compiled with every variable name its nodes carry. */
  finish(): FleetResult & { readonly namesComplete: boolean };
}

export function startFleet(file: string, total: number, options: Pick<CompileOptions, 'readFile' | 'set'>, hooks: FleetHooks = {}): FleetRun {
  const { onProgress, sink, checkElsewhere } = hooks;
  const diagnostics: Diagnostic[] = [];
  const byName = new Map<string, InventoryNode>();
  const byMac = new Map<string, InventoryNode>();
  const profiles = new Map<string, FleetProfile | undefined>();
  const outputs: FleetOutput[] = [];
  const elsewhere: Promise<Diagnostic[]>[] = [];
  let done = 0;

  const profileOf = (ref: string, first: InventoryNode, batch: readonly InventoryNode[]): FleetProfile | undefined => {
    if (profiles.has(ref)) return profiles.get(ref);
    profiles.set(ref, undefined);
    const isBuiltin = isBuiltinName(ref);
    const path = isBuiltin ? ref : posix.join(posix.dirname(file), ref);
    const text = isBuiltin ? undefined : options.readFile?.(path);
    if (!isBuiltin && text === undefined) {
      diagnostics.push(err(file, first.position, `cannot read the profile ${JSON.stringify(ref)}`, `it is resolved relative to ${file}`));
      return undefined;
    }
    const compileOptions: CompileOptions = { profile: isBuiltin ? ref : { path, text: text! }, ...options };
    const names = [...new Set(batch.filter((m) => m.profile === ref).flatMap((m) => Object.keys(m.vars)))].sort();
    const prepared = prepareTemplate(compileOptions, names);
    if (!prepared.fill) {
      diagnostics.push(...prepared.result.diagnostics.map((d) => ({ ...d, message: `profile ${ref}: ${d.message}` })));
      return undefined;
    }
    // Every node's values pass the checks the profile's own values pass (the same ones as
    // `render --var`): once per distinct set of the values the profile uses.
    const p: FleetProfile = { compileOptions, names, prepared, checkValues: prepareValueCheck(compileOptions), checked: new Map(), sent: new Map(), carried: new Set(names) };
    profiles.set(ref, p);
    return p;
  };

  const render = (m: InventoryNode, p: FleetProfile): void => {
    for (const k of Object.keys(m.vars)) p.carried.add(k);
    const { prepared } = p;
    const missing = prepared.used.filter((v) => m.vars[v] === undefined);
    if (missing.length > 0) {
      diagnostics.push(err(file, m.position, `${m.name} gives no value for ${missing.join(', ')}, which its profile uses`, 'add them under vars:'));
      return;
    }
    const values = Object.fromEntries(prepared.used.map((v) => [v, m.vars[v]!]));
    const key = JSON.stringify(prepared.used.map((v) => values[v]));
    if (checkElsewhere && prepared.used.length > 0) {
      // Checked elsewhere while this thread fills and writes; judged when all have run.
      let job = p.sent.get(key);
      if (!job) p.sent.set(key, (job = checkElsewhere(p.compileOptions, values)));
      const used = prepared.used;
      elsewhere.push(job.then((found) => refusalsOf(file, m, used, found)));
    } else {
      let found = p.checked.get(key);
      if (!found) p.checked.set(key, (found = prepared.used.length > 0 ? p.checkValues(values) : []));
      const refused = refusalsOf(file, m, prepared.used, found);
      if (refused.length > 0) {
        diagnostics.push(...refused);
        return;
      }
    }
    const output = prepared.fill!(m.vars);
    if (output === undefined) {
      diagnostics.push(err(file, m.position, `a variable of ${m.name} is used in content that has to be encoded`, 'use per-node variables in plain text values only'));
      return;
    }
    const backend = prepared.result.backend!;
    const o: FleetOutput = { name: m.name, output, format: formatOfDocument(BACKENDS[backend].document).name, backend, os: prepared.result.profile?.distro.osRelease.id ?? '', node: m };
    if (sink) sink(o);
    else outputs.push(o);
    onProgress?.(++done, total, m.name);
  };

  return {
    diagnostics,
    twins(nodes) {
      for (const n of nodes) {
        const twin = byName.get(n.name) ?? (n.mac ? byMac.get(n.mac) : undefined);
        if (twin) diagnostics.push(err(file, n.position, `${n.name} repeats the ${twin.name === n.name ? 'name' : 'MAC address'} of the node at line ${twin.position.line}`, 'give every machine its own name and MAC address'));
        byName.set(n.name, n);
        if (n.mac && !byMac.has(n.mac)) byMac.set(n.mac, n);
      }
    },
    add(nodes) {
      for (const m of nodes) {
        const p = profileOf(m.profile, m, nodes);
        if (p) render(m, p);
      }
    },
    finish() {
      const refusals = checkElsewhere ? { refusals: Promise.all(elsewhere).then((all) => all.flat()) } : {};
      const namesComplete = [...profiles.values()].every((p) => !p || p.carried.size === p.names.length);
      if (hasErrors(diagnostics)) return { outputs: [], profilesCompiled: profiles.size, diagnostics, namesComplete, ...refusals };
      outputs.sort((a, b) => a.name.localeCompare(b.name));
      return { outputs, profilesCompiled: profiles.size, diagnostics, namesComplete, ...refusals };
    },
  };
}

/**
 * renderFleet renders every node. Profiles named by path are read through readFile, relative to
 * the inventory. It returns all outputs or, on any error, none.
 */
export function renderFleet(file: string, nodes: readonly InventoryNode[], options: Pick<CompileOptions, 'readFile' | 'set'>, hooks: FleetHooks = {}): FleetResult {
  const run = startFleet(file, nodes.length, options, hooks);
  run.twins(nodes);
  if (run.diagnostics.length > 0) return { outputs: [], profilesCompiled: 0, diagnostics: [...run.diagnostics] };
  run.add(nodes);
  const { namesComplete: _, ...result } = run.finish();
  return result;
}

/**
 * renderInventory reads an inventory's text and renders every node:
 * parseInventory, then renderFleet, with the diagnostics of both. `render --inventory` and
 * `serve` share it.
 */
export function renderInventory(
  file: string,
  text: string,
  options: Pick<CompileOptions, 'readFile' | 'set'>,
  hooks: FleetHooks = {},
): FleetResult {
  const parsed = parseInventory(file, text);
  if (hasErrors(parsed.diagnostics)) return { outputs: [], profilesCompiled: 0, diagnostics: parsed.diagnostics };
  const fleet = renderFleet(file, parsed.nodes, options, hooks);
  return { ...fleet, diagnostics: [...parsed.diagnostics, ...fleet.diagnostics] };
}

/**
 * renderInventoryStream renders an inventory as its pieces are read on another thread
 * (streamInventory), each node going to the sink. It gives undefined when the inventory cannot be
 * read in pieces, or when anything at all is wrong, or when a profile's nodes carry variable names
 * its first ones did not: render it with renderInventory then (into a new sink), which reads it
 * whole and reports what is wrong. What it gives is what renderInventory would.
 */
export async function renderInventoryStream(file: string, text: string, options: Pick<CompileOptions, 'readFile' | 'set'>, hooks: FleetHooks, read: ReadElsewhere): Promise<FleetResult | undefined> {
  const stream = streamInventory(file, text, read);
  if (!stream) return undefined;
  const run = startFleet(file, stream.total, options, hooks);
  for await (const nodes of stream.pieces) {
    if (!nodes) return undefined;
    run.twins(nodes);
    if (run.diagnostics.length === 0) run.add(nodes);
    if (run.diagnostics.length > 0) return undefined;
  }
  const { namesComplete, ...result } = run.finish();
  return namesComplete ? result : undefined;
}
