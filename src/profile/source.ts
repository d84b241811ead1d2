/**
 * @fileoverview Loading one YAML layer while keeping positions, and mapping JSON pointers back
 * to line and column (the nearest existing ancestor when the pointed-to node is missing).
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { CODES, type Diagnostic, type Position } from '../diagnostics.js';
import { loneSurrogatePointer, notUtf8At } from './formats.js';

/** A parsed layer: its data plus what is needed to point back into its text. */
export interface SourceLayer {
  /** Display name used in the chain, e.g. "ubuntu-24.04" or "node.yaml". */
  readonly name: string;
  /** The file name shown in diagnostics. */
  readonly file: string;
  /** Resolved path (or builtin:…) used for cycle detection and relative extends. */
  readonly id: string;
  readonly text: string;
  readonly data: Record<string, unknown>;
  readonly doc?: Document.Parsed;
  readonly lineCounter?: LineCounter;
  /** For synthetic layers (--set): a fixed position for every pointer. */
  readonly fixedPosition?: Position;
}

export function splitPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function joinPointer(parts: readonly (string | number)[]): string {
  return parts.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Renders a pointer as a dotted key path for messages: /runtime/registryMirrors/docker.io/0 → runtime.registryMirrors["docker.io"][0]. */
export function displayPath(pointer: string): string {
  let out = '';
  for (const part of splitPointer(pointer)) {
    if (/^[0-9]+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || '(top level)';
}

/**
 * The last few parses, by name, file, id and text: a fleet checks many nodes of one profile, and
 * a layer, once parsed, is never changed (each pass of the pipeline copies what it alters).
 */
const parseCache = new Map<string, { layer?: SourceLayer; diagnostics: Diagnostic[] }>();
const PARSE_CACHE_SIZE = 32;

/** The most characters a profile layer may have (a profile describes a node; it is short). */
export const MAX_PROFILE_CHARS = 1_000_000;
/** The most YAML problems reported for one file; the rest are counted. */
const MAX_SYNTAX_ERRORS = 20;
/** The most aliases a profile may use. */
const MAX_ALIASES = 100;

/** Whether an anchor named `name` is set before `offset`. */
function hasAnchorBefore(doc: Document, name: string, offset: number): boolean {
  let found = false;
  visit(doc, (_k, node) => {
    if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor === name && (node.range?.[0] ?? Infinity) < offset) {
      found = true;
      return visit.BREAK;
    }
    return undefined;
  });
  return found;
}

/** parseLayer parses YAML text; syntax errors come back as diagnostics with positions. */
export function parseLayer(
  name: string,
  file: string,
  id: string,
  text: string,
): { layer?: SourceLayer; diagnostics: Diagnostic[] } {
  const key = JSON.stringify([name, file, id, text]);
  const cached = parseCache.get(key);
  if (cached) return cached;
  const parsed = parseLayerText(name, file, id, text);
  if (parseCache.size >= PARSE_CACHE_SIZE) parseCache.delete(parseCache.keys().next().value!);
  parseCache.set(key, parsed);
  return parsed;
}

function parseLayerText(
  name: string,
  file: string,
  id: string,
  text: string,
): { layer?: SourceLayer; diagnostics: Diagnostic[] } {
  if (text.length > MAX_PROFILE_CHARS) {
    return { diagnostics: [{ severity: 'error', code: CODES.tooLarge, message: `the profile is ${text.length} characters long, more than the ${MAX_PROFILE_CHARS} a profile may have`, hint: 'a profile is a short description of a node: move large file contents elsewhere', file, position: { line: 1, col: 1 } }] };
  }
  const lines = text.split('\n');
  const notUtf8 = notUtf8At(text);
  if (notUtf8) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: CODES.encoding,
          message: 'the profile is not UTF-8 here: a byte that no UTF-8 text holds (read as U+FFFD)',
          hint: 'save the file as UTF-8; to mean the character U+FFFD itself, write "\\uFFFD" in a double-quoted string',
          file,
          position: notUtf8,
          sourceLine: lines[notUtf8.line - 1],
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const at = (offset: number): { position: Position; sourceLine: string | undefined } => {
    const pos = lineCounter.linePos(offset);
    return { position: { line: pos.line, col: pos.col }, sourceLine: lines[pos.line - 1] };
  };
  const problem = (offset: number, message: string, hint: string, code: string = CODES.yamlSyntax): Diagnostic => ({ severity: 'error', code, message, hint, file, ...at(offset) });
  // Errors, and warnings too (an unknown tag such as !foo would otherwise be read as plain text).
  const found = [...doc.errors, ...doc.warnings];
  const diagnostics: Diagnostic[] = found
    .slice(0, MAX_SYNTAX_ERRORS)
    .map((e) => problem(e.pos[0], `YAML ${e.name === 'YAMLWarning' ? 'problem' : 'syntax error'}: ${e.message.split('\n')[0]}`, 'fix the YAML syntax at this position (indentation, a missing colon, or an unclosed quote are the usual causes; a profile uses no custom tags)'));
  if (found.length > MAX_SYNTAX_ERRORS) diagnostics.push({ severity: 'error', code: CODES.yamlSyntax, message: `${found.length - MAX_SYNTAX_ERRORS} more YAML problems not shown`, hint: 'fix the ones above first', file });
  if (diagnostics.length > 0) return { diagnostics };
  // Aliases: every one must name an anchor set before it, and a handful of them must not expand
  // into a huge value (an alias bomb). Either is reported at the alias.
  const aliases: { offset: number; source: string }[] = [];
  visit(doc, { Alias: (_k, node) => void aliases.push({ offset: node.range?.[0] ?? 0, source: node.source }) });
  if (aliases.length > MAX_ALIASES) return { diagnostics: [problem(aliases[MAX_ALIASES]!.offset, `the profile uses more than ${MAX_ALIASES} YAML aliases`, 'write the values out; a profile needs few aliases, if any')] };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    const unresolved = aliases.find((a) => !hasAnchorBefore(doc, a.source, a.offset)) ?? aliases[0];
    return { diagnostics: [problem(unresolved?.offset ?? 0, `YAML alias problem: ${(e as Error).message}`, 'set the anchor (&name) before its alias (*name), and keep aliases from expanding into very large values')] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: CODES.notAMapping,
          message: 'a profile must be a YAML mapping (key: value pairs) at the top level',
          hint: 'start the file with a key such as `extends: ubuntu-24.04/containerd`',
          file,
          position: { line: 1, col: 1 },
          sourceLine: lines[0],
        },
      ],
    };
  }
  const layer: SourceLayer = { name, file, id, text, data: data as Record<string, unknown>, doc, lineCounter };
  // A "\ud800" escape with no pair is text no file can hold: cloud-init would write U+FFFD, and
  // Ignition's data: URL cannot encode it.
  const lone = loneSurrogatePointer(data);
  if (lone !== undefined) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: CODES.encoding,
          message: 'this string holds a lone UTF-16 surrogate (an escape such as "\\ud800" without its pair), which no UTF-8 file can hold',
          hint: 'write the character itself, or both halves of its surrogate pair ("\\ud83d\\ude00")',
          file,
          ...locate(layer, lone),
        },
      ],
    };
  }
  return { layer, diagnostics: [] };
}

/**
 * locate returns the position of the node at `pointer`; with `key` set, the position of that
 * key inside the mapping at `pointer` (for unknown-key errors). Missing nodes fall back to the
 * nearest existing ancestor, as vcontext's getDeepestNode does.
 */
export function locate(layer: SourceLayer, pointer: string, key?: string): { position?: Position; sourceLine?: string } {
  if (layer.fixedPosition) return { position: layer.fixedPosition, sourceLine: layer.text };
  if (!layer.doc || !layer.lineCounter) return {};
  let node: unknown = layer.doc.contents;
  let best: Node | null = (layer.doc.contents as Node | null) ?? null;
  const parts = splitPointer(pointer);
  if (key !== undefined) parts.push(key);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const isLast = i === parts.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === part);
      if (!pair) break;
      if (isLast && key !== undefined) {
        best = pair.key as Node;
        break;
      }
      node = pair.value;
      if (node) best = node as Node;
    } else if (isSeq(node)) {
      const item = node.items[Number(part)];
      if (item === undefined) break;
      node = item;
      best = item as Node;
    } else break;
  }
  const offset = best?.range?.[0];
  // An empty document has no node at all: the whole file is meant, from its start.
  if (offset === undefined) return best === null ? { position: { line: 1, col: 1 }, sourceLine: layer.text.split('\n')[0] } : {};
  const pos = layer.lineCounter.linePos(offset);
  return { position: { line: pos.line, col: pos.col }, sourceLine: layer.text.split('\n')[pos.line - 1] };
}

/**
 * builtinSourceLayer makes a layer of a built-in profile from its data, parsed at build time: the
 * YAML document (for positions in a diagnostic) is parsed only if something asks for it.
 */
export function builtinSourceLayer(name: string, file: string, id: string, text: string, data: Record<string, unknown>): SourceLayer {
  let parsed: { doc: Document.Parsed; lineCounter: LineCounter } | undefined;
  const parse = (): { doc: Document.Parsed; lineCounter: LineCounter } => {
    if (!parsed) {
      const lineCounter = new LineCounter();
      parsed = { doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' }), lineCounter };
    }
    return parsed;
  };
  return {
    name,
    file,
    id,
    text,
    data,
    get doc() {
      return parse().doc;
    },
    get lineCounter() {
      return parse().lineCounter;
    },
  };
}
