/**
 * @fileoverview Fleets: an inventory of machines (YAML or CSV: name, mac, profile, per-node
 * variables) rendered to one output per node. Each distinct profile is compiled once, with
 * sentinels for the variables, and filled per node, which is what Terraform would do with the
 * template. The inventory is checked with positions; nothing is written unless every node
 * renders.
 */
import { posix } from 'node:path';
import { parse as parseCsvText } from 'csv-parse/sync';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { isSimpleValue, prepareTemplate, prepareValueCheck, type CompileOptions } from './compile.js';
import { CODES, hasErrors, type Diagnostic, type Position } from './diagnostics.js';
import { isBuiltinName } from './profile/resolve.js';
import { notUtf8At } from './profile/formats.js';
import type { BackendName } from './profile/types.js';
import { BACKENDS } from './backends/registry.js';
import { FORMATS, formatOfDocument, type FormatName } from './outputs/formats.js';

/** How a machine network-boots: what its iPXE script loads. */
export interface BootSpec {
  readonly kernel: string;
  readonly initrd: string;
  readonly args?: string;
}

export interface InventoryNode {
  readonly name: string;
  readonly mac?: string;
  readonly profile: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly boot?: BootSpec;
  readonly position: Position;
  /** Where each variable's value stands in the inventory. */
  readonly varPositions?: Readonly<Record<string, Position>>;
}

const BOOT_URL = /^https?:\/\/[A-Za-z0-9\-._~:/?[\]@!$&'()*+,;=%]+$/;
const BOOT_ARGS = /^[A-Za-z0-9\-._~:/?@!$&'()*+,;=% ]*$/;
/**
 * What iPXE reads as its own in a `kernel` line (src/core/exec.c: the tokens ||, && and ; end a
 * command, a token starting with # starts a comment, and ${...} expands a setting in any token):
 * a boot entry with it would run iPXE commands of the inventory's choosing on every machine that
 * boots. && and || are refused inside a token too, to be safe.
 */
const IPXE_SYNTAX = /&&|\|\||\$\{|(^|\s)#|(^|\s);(\s|$)/;

const NODE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const VAR_NAME = /^[a-z_][a-z0-9_]*$/;
const RESERVED = new Set(['name', 'mac', 'profile']);

function err(file: string, position: Position | undefined, message: string, hint: string): Diagnostic {
  return { severity: 'error', code: CODES.inventory, message, hint, file, ...(position ? { position } : {}) };
}

function checkNode(file: string, n: Partial<InventoryNode> & { position: Position }, out: Diagnostic[]): n is InventoryNode & { position: Position } {
  const before = out.length;
  if (!n.name || !NODE_NAME.test(n.name)) out.push(err(file, n.position, `node name ${JSON.stringify(n.name ?? '')} is not valid`, 'use lower-case letters, digits, . and - (it names the output file)'));
  if (n.mac !== undefined && !MAC.test(n.mac)) out.push(err(file, n.position, `the MAC address of ${n.name} is not valid`, 'write six hex pairs separated by colons, e.g. 52:54:00:12:34:56'));
  if (!n.profile) out.push(err(file, n.position, `node ${n.name} names no profile`, 'give it a profile (a built-in DISTRO/RUNTIME or a file), or set defaults.profile'));
  if (n.boot && (!BOOT_URL.test(n.boot.kernel) || !BOOT_URL.test(n.boot.initrd) || !BOOT_ARGS.test(n.boot.args ?? '') || [n.boot.kernel, n.boot.initrd, n.boot.args ?? ''].some((x) => IPXE_SYNTAX.test(x)))) {
    out.push(err(file, n.position, `the boot entry of ${n.name} is not valid`, "boot: {kernel: http(s) URL, initrd: http(s) URL, args: kernel arguments without quotes or newlines}; none of them may hold iPXE's own syntax (&&, ||, a lone ;, ${…}, a word starting with #)"));
  }
  for (const [k, v] of Object.entries(n.vars ?? {})) {
    if (!VAR_NAME.test(k)) out.push(err(file, n.position, `variable name ${JSON.stringify(k)} of ${n.name} is not valid`, 'use lower-case letters, digits and _'));
    else if (!isSimpleValue(v)) out.push(err(file, n.position, `the value of ${k} for ${n.name} has characters that cannot go into every file as they are`, 'per-node values may hold letters, digits and . _ : / @ + = , ~ -'));
  }
  return out.length === before;
}

/**
 * parseCsv reads RFC 4180 CSV with csv-parse: a UTF-8 byte-order mark (Excel's "CSV UTF-8") is
 * skipped, "" stands for a quote inside quotes, anything after a closing quote but a delimiter is
 * an error (so "w1"x is not w1x), and each row keeps the line it starts on.
 */
function parseCsv(text: string): { rows: string[][]; lines: number[] } | { error: string; line: number } {
  try {
    const records = parseCsvText(text, { bom: true, info: true, raw: true, skip_empty_lines: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] }) as unknown as { record: string[]; info: { lines: number }; raw: string }[];
    const rows: string[][] = [];
    const lines: number[] = [];
    for (const r of records) {
      // info.lines is where the row ends; a quoted field may span lines.
      const spans = (r.raw.replace(/(\r\n|\n|\r)$/, '').match(/\r\n|\n|\r/g) ?? []).length;
      rows.push(r.record);
      lines.push(r.info.lines - spans);
    }
    return { rows, lines };
  } catch (e) {
    const err = e as Error & { code?: string; lines?: number };
    const why =
      err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'a quoted field is not closed'
        : err.code === 'CSV_INVALID_CLOSING_QUOTE'
          ? 'a quoted field is followed by more than a comma or the end of the row'
          : (err.message.split('\n')[0] ?? 'it does not parse');
    return { error: why, line: err.lines ?? 1 };
  }
}

/** parseInventory reads an inventory file; YAML unless the name ends in .csv. */
export function parseInventory(file: string, text: string): { nodes: InventoryNode[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const nodes: InventoryNode[] = [];
  const notUtf8 = notUtf8At(text);
  if (notUtf8) {
    return { nodes, diagnostics: [{ ...err(file, notUtf8, 'the inventory is not UTF-8 here: a byte that no UTF-8 text holds (read as U+FFFD)', 'save the file as UTF-8 (Excel: CSV UTF-8)'), code: CODES.encoding }] };
  }
  if (file.endsWith('.csv')) {
    const csv = parseCsv(text);
    if ('error' in csv) return { nodes, diagnostics: [err(file, { line: csv.line, col: 1 }, `CSV: ${csv.error}`, 'follow RFC 4180: quote a whole field, and write "" for a quote inside it')] };
    const [header, ...rows] = csv.rows;
    if (!header || !header.includes('name') || !header.includes('profile')) {
      return { nodes, diagnostics: [err(file, { line: 1, col: 1 }, 'the CSV header needs the columns name and profile', 'start with a header such as: name,mac,profile,hostname')] };
    }
    const twice = header.find((h, i) => header.indexOf(h) !== i);
    if (twice !== undefined) {
      return { nodes, diagnostics: [err(file, { line: csv.lines[0]!, col: 1 }, `the CSV header names the column ${JSON.stringify(twice)} twice`, 'give every column its own name')] };
    }
    rows.forEach((cells, r) => {
      const position = { line: csv.lines[r + 1]!, col: 1 };
      if (cells.length !== header.length) {
        diagnostics.push(err(file, position, `row has ${cells.length} fields, the header ${header.length}`, 'give every row one field per header column'));
        return;
      }
      const get = (k: string) => cells[header.indexOf(k)];
      const vars = Object.fromEntries(header.map((h, i) => [h, cells[i]!]).filter(([h, v]) => !RESERVED.has(h!) && v !== ''));
      const n = { name: get('name'), mac: get('mac')?.toLowerCase() || undefined, profile: get('profile'), vars, position };
      if (checkNode(file, n, diagnostics)) nodes.push(n as InventoryNode);
    });
    return { nodes, diagnostics };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const pos = (node: unknown): Position => {
    const offset = (node as Node | undefined)?.range?.[0] ?? 0;
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    const p = lineCounter.linePos(doc.errors[0]!.pos[0]);
    return { nodes, diagnostics: [err(file, { line: p.line, col: p.col }, `YAML syntax error: ${doc.errors[0]!.message.split('\n')[0]}`, 'fix the YAML syntax here')] };
  }
  const root = doc.contents;
  const get = (map: unknown, key: string) => (isMap(map) ? map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)?.value : undefined);
  if (!isMap(root)) return { nodes, diagnostics: [err(file, { line: 1, col: 1 }, 'an inventory is a mapping with a nodes: list', 'start with `nodes:`')] };
  // Every mapping's keys are known ones: a misspelt key is an error, never ignored.
  const onlyKeys = (map: unknown, allowed: readonly string[], where: string): void => {
    if (!isMap(map)) return;
    for (const p of map.items) {
      const k = isScalar(p.key) ? String(p.key.value) : '';
      if (!allowed.includes(k)) diagnostics.push(err(file, pos(p.key), `unknown key ${JSON.stringify(k)} in ${where}`, `${where} has ${allowed.join(', ')}`));
    }
  };
  onlyKeys(root, ['nodes', 'defaults'], 'the inventory');
  const defaults = get(root, 'defaults');
  if (defaults !== undefined && !isMap(defaults)) diagnostics.push(err(file, pos(defaults), 'defaults: must be a mapping', 'write `defaults: {profile: node.yaml}`'));
  onlyKeys(defaults, ['profile', 'boot'], 'defaults:');
  onlyKeys(get(defaults, 'boot'), ['kernel', 'initrd', 'args'], 'boot:');
  const defaultProfile = get(defaults, 'profile');
  const list = get(root, 'nodes');
  if (!isSeq(list)) return { nodes, diagnostics: [...diagnostics, err(file, pos(list ?? root), 'nodes: must be a list', 'write one `- name: …` entry per machine')] };
  for (const item of list.items) {
    const position = pos(item);
    if (!isMap(item)) {
      diagnostics.push(err(file, position, 'a node is a mapping with name, mac, profile and vars', 'write `- name: worker-1`'));
      continue;
    }
    onlyKeys(item, ['name', 'mac', 'profile', 'vars', 'boot'], 'a node');
    onlyKeys(get(item, 'boot'), ['kernel', 'initrd', 'args'], 'boot:');
    const str = (v: unknown) => (isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number') ? String(v.value) : undefined);
    const varsNode = get(item, 'vars');
    const vars: Record<string, string> = {};
    const varPositions: Record<string, Position> = {};
    if (varsNode !== undefined && !isMap(varsNode)) diagnostics.push(err(file, pos(varsNode), 'vars: must be a mapping of name: value', 'write `vars: {hostname: worker-1}`'));
    if (isMap(varsNode)) {
      for (const p of varsNode.items) {
        if (!isScalar(p.key)) continue;
        const value = str(p.value);
        // A list, a mapping or nothing is no value: refused, never turned into "".
        if (value === undefined) diagnostics.push(err(file, pos(p.value ?? p.key), `the value of ${String(p.key.value)} is not a string or a number`, 'give each variable one plain value, e.g. `hostname: worker-1`'));
        vars[String(p.key.value)] = value ?? '';
        varPositions[String(p.key.value)] = pos(p.value ?? p.key);
      }
    }
    const bootNode = get(item, 'boot') ?? get(defaults, 'boot');
    const boot = isMap(bootNode)
      ? { kernel: str(get(bootNode, 'kernel')) ?? '', initrd: str(get(bootNode, 'initrd')) ?? '', ...(get(bootNode, 'args') !== undefined ? { args: str(get(bootNode, 'args')) ?? '' } : {}) }
      : undefined;
    const n = { name: str(get(item, 'name')), mac: str(get(item, 'mac'))?.toLowerCase(), profile: str(get(item, 'profile')) ?? str(defaultProfile), vars, varPositions, ...(boot ? { boot } : {}), position };
    if (checkNode(file, n, diagnostics)) nodes.push(n as InventoryNode);
  }
  return { nodes, diagnostics };
}

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
 * renderFleet renders every node. Profiles named by path are read through readFile, relative to
 * the inventory. It returns all outputs or, on any error, none.
 */
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

export function renderFleet(
  file: string,
  nodes: readonly InventoryNode[],
  options: Pick<CompileOptions, 'readFile' | 'set'>,
  onProgress?: (done: number, total: number, name: string) => void,
  sink?: (output: FleetOutput) => void,
  checkElsewhere?: CheckElsewhere,
): FleetResult {
  const diagnostics: Diagnostic[] = [];
  const byName = new Map<string, InventoryNode>();
  const byMac = new Map<string, InventoryNode>();
  for (const n of nodes) {
    const twin = byName.get(n.name) ?? (n.mac ? byMac.get(n.mac) : undefined);
    if (twin) diagnostics.push(err(file, n.position, `${n.name} repeats the ${twin.name === n.name ? 'name' : 'MAC address'} of the node at line ${twin.position.line}`, 'give every machine its own name and MAC address'));
    byName.set(n.name, n);
    if (n.mac && !byMac.has(n.mac)) byMac.set(n.mac, n);
  }
  if (diagnostics.length > 0) return { outputs: [], profilesCompiled: 0, diagnostics };

  const byProfile = new Map<string, InventoryNode[]>();
  for (const n of nodes) {
    const members = byProfile.get(n.profile);
    if (members) members.push(n);
    else byProfile.set(n.profile, [n]);
  }
  const outputs: FleetOutput[] = [];
  const elsewhere: Promise<Diagnostic[]>[] = [];
  let done = 0;
  for (const [ref, members] of byProfile) {
    const isBuiltin = isBuiltinName(ref);
    const path = isBuiltin ? ref : posix.join(posix.dirname(file), ref);
    const text = isBuiltin ? undefined : options.readFile?.(path);
    if (!isBuiltin && text === undefined) {
      diagnostics.push(err(file, members[0]!.position, `cannot read the profile ${JSON.stringify(ref)}`, `it is resolved relative to ${file}`));
      continue;
    }
    const compileOptions: CompileOptions = { profile: isBuiltin ? ref : { path, text: text! }, ...options };
    const names = [...new Set(members.flatMap((m) => Object.keys(m.vars)))].sort();
    const prepared = prepareTemplate(compileOptions, names);
    if (!prepared.fill) {
      diagnostics.push(...prepared.result.diagnostics.map((d) => ({ ...d, message: `profile ${ref}: ${d.message}` })));
      continue;
    }
    // Every node's values pass the checks the profile's own values pass (the same ones as
    // `render --var`): once per distinct set of the values the profile uses.
    const checked = new Map<string, readonly Diagnostic[]>();
    const checkValues = prepareValueCheck(compileOptions);
    const sent = new Map<string, Promise<readonly Diagnostic[]>>();
    for (const m of members) {
      const missing = prepared.used.filter((v) => m.vars[v] === undefined);
      if (missing.length > 0) {
        diagnostics.push(err(file, m.position, `${m.name} gives no value for ${missing.join(', ')}, which its profile uses`, 'add them under vars:'));
        continue;
      }
      const values = Object.fromEntries(prepared.used.map((v) => [v, m.vars[v]!]));
      const key = JSON.stringify(prepared.used.map((v) => values[v]));
      if (checkElsewhere && prepared.used.length > 0) {
        // Checked elsewhere while this thread fills and writes; judged when all have run.
        let job = sent.get(key);
        if (!job) sent.set(key, (job = checkElsewhere(compileOptions, values)));
        const used = prepared.used;
        elsewhere.push(job.then((found) => refusalsOf(file, m, used, found)));
      } else {
        let found = checked.get(key);
        if (!found) checked.set(key, (found = prepared.used.length > 0 ? checkValues(values) : []));
        const refused = refusalsOf(file, m, prepared.used, found);
        if (refused.length > 0) {
          diagnostics.push(...refused);
          continue;
        }
      }
      const output = prepared.fill(m.vars);
      if (output === undefined) {
        diagnostics.push(err(file, m.position, `a variable of ${m.name} is used in content that has to be encoded`, 'use per-node variables in plain text values only'));
        continue;
      }
      const backend = prepared.result.backend!;
      const o: FleetOutput = { name: m.name, output, format: formatOfDocument(BACKENDS[backend].document).name, backend, os: prepared.result.profile?.distro.osRelease.id ?? '', node: m };
      // With a sink, each output goes there as soon as it is rendered and is not kept.
      if (sink) sink(o);
      else outputs.push(o);
      onProgress?.(++done, nodes.length, m.name);
    }
  }
  const refusals = checkElsewhere ? { refusals: Promise.all(elsewhere).then((all) => all.flat()) } : {};
  if (diagnostics.some((d) => d.severity === 'error')) return { outputs: [], profilesCompiled: byProfile.size, diagnostics, ...refusals };
  outputs.sort((a, b) => a.name.localeCompare(b.name));
  return { outputs, profilesCompiled: byProfile.size, diagnostics, ...refusals };
}

/**
 * renderInventory reads an inventory's text and renders every node: parseInventory, then
 * renderFleet, with the diagnostics of both. `render --inventory` and `serve` share it.
 */
export function renderInventory(
  file: string,
  text: string,
  options: Pick<CompileOptions, 'readFile' | 'set'>,
  onProgress?: (done: number, total: number, name: string) => void,
  sink?: (output: FleetOutput) => void,
  checkElsewhere?: CheckElsewhere,
): FleetResult {
  const parsed = parseInventory(file, text);
  if (hasErrors(parsed.diagnostics)) return { outputs: [], profilesCompiled: 0, diagnostics: parsed.diagnostics };
  const fleet = renderFleet(file, parsed.nodes, options, onProgress, sink, checkElsewhere);
  return { ...fleet, diagnostics: [...parsed.diagnostics, ...fleet.diagnostics] };
}
