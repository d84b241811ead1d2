/**
 * @fileoverview Reading an inventory (YAML or CSV: name, mac, profile, per-node variables, boot
 * entries) into nodes, each with its position.
 *
 * A YAML inventory of the usual shape, a block list under a top-level `nodes:`, is read in pieces
 * of CHUNK entries: each piece is parsed as a document of its own (parseInventory), or on another
 * thread, in order, while this one renders the pieces already read (streamInventory). A piece's
 * positions are shifted by the line it starts on. Anything that could read differently in pieces (anchors and
 * aliases, directives, document markers, tabs or CR line ends, a `nodes:` line with more on it)
 * and anything wrong at all (a piece that is not one list of its entries, any diagnostic) sends
 * the file through the one-piece read, so what is reported is always what that read reports.
 */
import { parse as parseCsvText } from 'csv-parse/sync';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { CODES, type Diagnostic, type Position } from './diagnostics.js';
import { readSimpleList } from './inventory-simple.js';
import { notUtf8At } from './profile/formats.js';
import { isSimpleValue } from './profile/variables.js';

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

export function err(file: string, position: Position | undefined, message: string, hint: string): Diagnostic {
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

/** What an inventory gives: its nodes, and what is wrong with it. */
export interface ParsedInventory {
  readonly nodes: InventoryNode[];
  readonly diagnostics: Diagnostic[];
}

/**
 * parseInventoryWhole reads an inventory file in one piece; YAML unless the name ends in .csv. Its
 * diagnostics are the reference: a split read that finds anything wrong reads the file this way
 * instead.
 */
export function parseInventoryWhole(file: string, text: string): ParsedInventory {
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
  if (doc.errors.length > 0) {
    const p = lineCounter.linePos(doc.errors[0]!.pos[0]);
    return { nodes, diagnostics: [err(file, { line: p.line, col: p.col }, `YAML syntax error: ${doc.errors[0]!.message.split('\n')[0]}`, 'fix the YAML syntax here')] };
  }
  const pos = positions(lineCounter, 0);
  const root = doc.contents;
  if (!isMap(root)) return { nodes, diagnostics: [err(file, { line: 1, col: 1 }, 'an inventory is a mapping with a nodes: list', 'start with `nodes:`')] };
  const defaults = readTop(file, root, pos, diagnostics);
  const list = get(root, 'nodes');
  if (!isSeq(list)) return { nodes, diagnostics: [...diagnostics, err(file, pos(list ?? root), 'nodes: must be a list', 'write one `- name: …` entry per machine')] };
  for (const item of list.items) readItem(file, item, defaults, pos, nodes, diagnostics);
  return { nodes, diagnostics };
}

type Positions = (node: unknown) => Position;

/** Positions of a document's nodes, its first line being `line` + 1 of the file. */
function positions(lineCounter: LineCounter, line: number): Positions {
  return (node) => {
    const p = lineCounter.linePos((node as Node | undefined)?.range?.[0] ?? 0);
    return { line: p.line + line, col: p.col };
  };
}

const get = (map: unknown, key: string) => (isMap(map) ? map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)?.value : undefined);
const str = (v: unknown) => (isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number') ? String(v.value) : undefined);

/** Every mapping's keys are known ones: a misspelt key is an error, never ignored. */
function onlyKeys(file: string, map: unknown, allowed: readonly string[], where: string, pos: Positions, diagnostics: Diagnostic[]): void {
  if (!isMap(map)) return;
  for (const p of map.items) {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (!allowed.includes(k)) diagnostics.push(err(file, pos(p.key), `unknown key ${JSON.stringify(k)} in ${where}`, `${where} has ${allowed.join(', ')}`));
  }
}

/** A boot entry as plain values (a boot: that is not a mapping gives none). */
function bootOf(node: unknown): BootSpec | undefined {
  if (!isMap(node)) return undefined;
  const args = get(node, 'args');
  return { kernel: str(get(node, 'kernel')) ?? '', initrd: str(get(node, 'initrd')) ?? '', ...(args !== undefined ? { args: str(args) ?? '' } : {}) };
}

/** What `defaults:` gives every node that does not say otherwise. */
export interface InventoryDefaults {
  readonly profile?: string;
  readonly boot?: BootSpec;
}

/** readTop checks the top-level keys and `defaults:`, and gives the defaults. */
function readTop(file: string, root: unknown, pos: Positions, diagnostics: Diagnostic[]): InventoryDefaults {
  onlyKeys(file, root, ['nodes', 'defaults'], 'the inventory', pos, diagnostics);
  const defaults = get(root, 'defaults');
  if (defaults !== undefined && !isMap(defaults)) diagnostics.push(err(file, pos(defaults), 'defaults: must be a mapping', 'write `defaults: {profile: node.yaml}`'));
  onlyKeys(file, defaults, ['profile', 'boot'], 'defaults:', pos, diagnostics);
  onlyKeys(file, get(defaults, 'boot'), ['kernel', 'initrd', 'args'], 'boot:', pos, diagnostics);
  const profile = str(get(defaults, 'profile'));
  const boot = bootOf(get(defaults, 'boot'));
  return { ...(profile !== undefined ? { profile } : {}), ...(boot ? { boot } : {}) };
}

/** readItem reads one entry of `nodes:` into nodes, or says what is wrong with it. */
function readItem(file: string, item: unknown, defaults: InventoryDefaults, pos: Positions, nodes: InventoryNode[], diagnostics: Diagnostic[]): void {
  const position = pos(item);
  if (!isMap(item)) {
    diagnostics.push(err(file, position, 'a node is a mapping with name, mac, profile and vars', 'write `- name: worker-1`'));
    return;
  }
  onlyKeys(file, item, ['name', 'mac', 'profile', 'vars', 'boot'], 'a node', pos, diagnostics);
  onlyKeys(file, get(item, 'boot'), ['kernel', 'initrd', 'args'], 'boot:', pos, diagnostics);
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
  const own = get(item, 'boot');
  const boot = own != null ? bootOf(own) : defaults.boot;
  const n = { name: str(get(item, 'name')), mac: str(get(item, 'mac'))?.toLowerCase(), profile: str(get(item, 'profile')) ?? defaults.profile, vars, varPositions, ...(boot ? { boot } : {}), position };
  if (checkNode(file, n, diagnostics)) nodes.push(n as InventoryNode);
}

/** How many entries of `nodes:` a piece holds. */
const CHUNK = 200;

/** A piece of the `nodes:` list: whole entries, as text, and the line of the file it starts on. */
export interface InventoryChunk {
  readonly text: string;
  readonly line: number;
  /** How many entries it holds. */
  readonly entries: number;
}

/** An inventory in pieces: the file with its `nodes:` list emptied, and the list's pieces. */
interface InventorySplit {
  readonly skeleton: string;
  /** Where the emptied list, `[]`, stands in the skeleton. */
  readonly listOffset: number;
  readonly chunks: InventoryChunk[];
}

const BLANK_OR_COMMENT = /^ *(#.*)?$/;

/**
 * splitInventory cuts a YAML inventory's `nodes:` list into pieces at its entries' `- ` lines,
 * or says it cannot (undefined) when a piece might read differently from the whole.
 */
function splitInventory(text: string): InventorySplit | undefined {
  if (/[\r\t&*]/.test(text) || /^(%|---|\.\.\.)/m.test(text)) return undefined;
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^nodes: *(#.*)?$/.test(l));
  if (at < 0) return undefined;
  let first = at + 1;
  while (first < lines.length && BLANK_OR_COMMENT.test(lines[first]!)) first++;
  const m = /^( *)-( |$)/.exec(lines[first] ?? '');
  if (!m) return undefined;
  const indent = m[1]!.length;
  const entry = new RegExp(`^ {${indent}}-( |$)`);
  const starts: number[] = [];
  let end = first;
  for (; end < lines.length; end++) {
    const l = lines[end]!;
    if (entry.test(l)) starts.push(end);
    else if (!BLANK_OR_COMMENT.test(l) && l.length - l.trimStart().length <= indent) break;
  }
  const chunks: InventoryChunk[] = [];
  for (let k = 0; k < starts.length; k += CHUNK) {
    const from = starts[k]!;
    const to = starts[k + CHUNK] ?? end;
    chunks.push({ text: `${lines.slice(from, to).join('\n')}\n`, line: from, entries: Math.min(CHUNK, starts.length - k) });
  }
  // The list's lines are left out: only a clean skeleton is used, and it is used for its values,
  // never for positions.
  const skeleton = [...lines.slice(0, at), 'nodes: []', ...lines.slice(at + 1, first), ...lines.slice(end)].join('\n');
  const listOffset = lines.slice(0, at).reduce((n, l) => n + l.length + 1, 0) + 'nodes: '.length;
  return { skeleton, listOffset, chunks };
}

/** What a piece gives; ok is false when it is not one list of its own entries. */
export interface ChunkResult {
  readonly ok: boolean;
  readonly nodes: InventoryNode[];
  readonly diagnostics: Diagnostic[];
}

/** A piece's nodes when it is clean (one list of its entries, nothing wrong), else undefined. */
function cleanNodes(r: ChunkResult): InventoryNode[] | undefined {
  return r.ok && r.diagnostics.length === 0 ? r.nodes : undefined;
}

function readChunk(file: string, chunk: InventoryChunk, defaults: InventoryDefaults): ChunkResult {
  const nodes: InventoryNode[] = [];
  const diagnostics: Diagnostic[] = [];
  let lineCounter = new LineCounter();
  let list: unknown = readSimpleList(chunk.text, lineCounter);
  if (!list) {
    lineCounter = new LineCounter();
    const doc = parseDocument(chunk.text, { lineCounter, uniqueKeys: true });
    if (doc.errors.length > 0) return { ok: false, nodes, diagnostics };
    list = doc.contents;
  }
  if (!isSeq(list) || list.items.length !== chunk.entries) return { ok: false, nodes, diagnostics };
  const pos = positions(lineCounter, chunk.line);
  for (const item of list.items) readItem(file, item, defaults, pos, nodes, diagnostics);
  return { ok: true, nodes, diagnostics };
}

/** The pieces of one inventory, for another thread to read. */
export interface ChunkJob {
  readonly file: string;
  readonly chunks: readonly InventoryChunk[];
  readonly defaults: InventoryDefaults;
}

/** readPieces reads a job's pieces in order, giving each to give as it is read. */
export function readPieces(job: ChunkJob, give: (result: ChunkResult) => void): void {
  for (const c of job.chunks) give(readChunk(job.file, c, job.defaults));
}

/**
 * inventoryJob cuts a YAML inventory into pieces once its top level is read and found clean, or
 * gives undefined when it must be read whole.
 */
export function inventoryJob(file: string, text: string): ChunkJob | undefined {
  if (file.endsWith('.csv') || notUtf8At(text)) return undefined;
  const split = splitInventory(text);
  if (!split) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(split.skeleton, { lineCounter, uniqueKeys: true });
  const list = get(doc.contents, 'nodes');
  if (doc.errors.length > 0 || !isMap(doc.contents) || !isSeq(list) || list.items.length > 0 || list.range?.[0] !== split.listOffset) return undefined;
  const diagnostics: Diagnostic[] = [];
  const defaults = readTop(file, doc.contents, positions(lineCounter, 0), diagnostics);
  if (diagnostics.length > 0) return undefined;
  return { file, chunks: split.chunks, defaults };
}

/** parseInventory reads an inventory file; YAML unless the name ends in .csv. */
export function parseInventory(file: string, text: string): ParsedInventory {
  const job = inventoryJob(file, text);
  if (job) {
    const nodes: InventoryNode[] = [];
    let clean = true;
    readPieces(job, (r) => {
      const piece = clean ? cleanNodes(r) : undefined;
      clean = piece !== undefined;
      if (piece) for (const n of piece) nodes.push(n);
    });
    if (clean) return { nodes, diagnostics: [] };
  }
  return parseInventoryWhole(file, text);
}

/**
 * Reads a job's pieces on another thread: the iterable gives each piece's result in order, as it
 * comes back, and throws if that thread fails.
 */
export type ReadElsewhere = (job: ChunkJob) => AsyncIterable<ChunkResult>;

/** A YAML inventory read in pieces on another thread while this one uses them. */
export interface InventoryStream {
  /** How many entries the pieces hold. */
  readonly total: number;
  /**
   * Each piece's nodes, in order. A piece that is not clean (not one list of its entries, or
   * any diagnostic) ends it with undefined: then the whole file must be read with
   * parseInventory, whose diagnostics are the ones to report.
   */
  readonly pieces: AsyncIterable<readonly InventoryNode[] | undefined>;
}

/**
 * streamInventory starts reading an inventory's pieces elsewhere, or gives undefined when it
 * cannot be read in pieces (read it with parseInventory). Pieces the other thread could not give
 * back are read here.
 */
export function streamInventory(file: string, text: string, elsewhere: ReadElsewhere): InventoryStream | undefined {
  const job = inventoryJob(file, text);
  if (!job) return undefined;
  async function* pieces(): AsyncGenerator<readonly InventoryNode[] | undefined> {
    let next = 0;
    try {
      for await (const r of elsewhere(job!)) {
        next++;
        const nodes = cleanNodes(r);
        if (!nodes) return yield undefined;
        yield nodes;
      }
    } catch {
      // The other thread failed: the rest is read here.
    }
    for (const c of job!.chunks.slice(next)) {
      const nodes = cleanNodes(readChunk(file, c, job!.defaults));
      if (!nodes) return yield undefined;
      yield nodes;
    }
  }
  return { total: job.chunks.reduce((n, c) => n + c.entries, 0), pieces: pieces() };
}
