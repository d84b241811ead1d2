/**
 * @fileoverview Loading one YAML layer while keeping positions, and mapping JSON pointers back
 * to line and column (the nearest existing ancestor when the pointed-to node is missing).
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { CODES, type Diagnostic, type Position } from '../diagnostics.js';

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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const lines = text.split('\n');
  const diagnostics: Diagnostic[] = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return {
      severity: 'error' as const,
      code: CODES.yamlSyntax,
      message: `YAML syntax error: ${e.message.split('\n')[0]}`,
      hint: 'fix the YAML syntax at this position (indentation, a missing colon, or an unclosed quote are the usual causes)',
      file,
      position: { line: pos.line, col: pos.col },
      sourceLine: lines[pos.line - 1],
    };
  });
  if (diagnostics.length > 0) return { diagnostics };
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
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
  return { layer: { name, file, id, text, data: data as Record<string, unknown>, doc, lineCounter }, diagnostics: [] };
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
  if (offset === undefined) return {};
  const pos = layer.lineCounter.linePos(offset);
  return { position: { line: pos.line, col: pos.col }, sourceLine: layer.text.split('\n')[pos.line - 1] };
}
