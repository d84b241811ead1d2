/**
 * @fileoverview A quick read of the entries people write in an inventory's `nodes:` list, from
 * the tokens of yaml's own Lexer, into the same yaml nodes (maps, pairs, scalars with their
 * ranges) that parseDocument gives; readItem reads both alike.
 *
 * yaml's Parser and Composer cost about 60 µs a line and most of a fleet's garbage; its Lexer
 * costs a tenth of that. This read takes only the shapes that inventories are made of:
 *   - entries of one list, each a flow mapping on one line or a block mapping;
 *   - keys and values that are scalars on one line, or a mapping of them (vars:, boot:), in flow
 *     or block style, one level down;
 *   - blank lines and comments anywhere.
 * Anything else (anchors, tags, aliases, block or multi-line scalars, lists, empty values, a key
 * given twice, an indentation it does not expect, anything it does not know) gives undefined, and
 * the piece is read by parseDocument instead. So a piece read here is read as parseDocument would
 * read it, and anything it would find wrong is found by parseDocument itself.
 *
 * Scalars resolve as YAML 1.2's core schema does (parseDocument's default): a plain scalar that
 * starts with a letter and is none of null, true, false in their three spellings is a string; a
 * quoted one without escapes or '' is its text; every other scalar is resolved by yaml itself.
 */
import { CST, isScalar, Lexer, LineCounter, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq } from 'yaml';

type Tok = { readonly type: string; readonly src: string; readonly off: number };

/** Plain scalars of the core schema that start with a letter and are not strings. */
const KEYWORDS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
/** yaml refuses an implicit key of more than 1024 characters; such a key is left to it. */
const LONGEST_KEY = 1000;

/** Thrown inside the read when the piece is not of the shapes it takes. */
const NOT_SIMPLE = Symbol('not simple');

function giveUp(): never {
  throw NOT_SIMPLE;
}

/** What yaml resolves a scalar to that this read cannot tell at sight, by yaml itself. */
const resolved = new Map<string, unknown>();

function resolveByYaml(src: string, style: 'PLAIN' | 'QUOTE_DOUBLE'): unknown {
  if (resolved.has(src)) return resolved.get(src);
  const doc = parseDocument(src);
  if (doc.errors.length > 0 || !isScalar(doc.contents) || doc.contents.type !== style) giveUp();
  // Kept small: an inventory of many distinct numbers starts it afresh now and then.
  if (resolved.size >= 10_000) resolved.clear();
  resolved.set(src, doc.contents.value);
  return doc.contents.value;
}

function scalarValue(type: string, src: string): unknown {
  if (src.includes('\n')) giveUp();
  switch (type) {
    case 'scalar':
      // A plain scalar that starts with an indicator is left to yaml, which may read it otherwise.
      if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(src)) giveUp();
      return /^[A-Za-z]/.test(src) && !KEYWORDS.has(src) ? src : resolveByYaml(src, 'PLAIN');
    case 'double-quoted-scalar':
      if (src.length < 2 || !src.endsWith('"')) giveUp();
      return src.includes('\\') ? resolveByYaml(src, 'QUOTE_DOUBLE') : src.slice(1, -1);
    case 'single-quoted-scalar':
      if (src.length < 2 || !src.endsWith("'")) giveUp();
      return src.slice(1, -1).replace(/''/g, "'");
    default:
      return giveUp();
  }
}

class Reader {
  private i = 0;
  constructor(private readonly toks: readonly Tok[]) {}

  private peek(k = 0): Tok | undefined {
    return this.toks[this.i + k];
  }

  private take(type: string): Tok {
    const t = this.toks[this.i];
    if (t?.type !== type) giveUp();
    this.i++;
    return t;
  }

  private skipSpace(): void {
    if (this.peek()?.type === 'space') this.i++;
  }

  /**
   * From the start of a line: skips blank and comment lines, and gives the indentation of the
   * next line with content and where its content starts, or undefined at the end.
   */
  private nextLine(): { indent: number; at: number } | undefined {
    let j = this.i;
    for (;;) {
      const t = this.toks[j];
      if (!t) return undefined;
      const indent = t.type === 'space' ? t.src.length : 0;
      const k = t.type === 'space' ? j + 1 : j;
      const c = this.toks[k];
      if (!c) return undefined;
      if (c.type === 'newline') j = k + 1;
      else if (c.type === 'comment') {
        if (this.toks[k + 1] && this.toks[k + 1]!.type !== 'newline') giveUp();
        j = k + 2;
      } else return { indent, at: k };
    }
  }

  /** The end of a line with content: spaces, a comment, then a newline or the end. */
  private endLine(): void {
    // A comment is set off by a space (yaml refuses `{}#c`).
    const spaced = this.peek()?.type === 'space';
    this.skipSpace();
    if (this.peek()?.type === 'comment') {
      if (!spaced) giveUp();
      this.i++;
    }
    if (this.peek() === undefined) return;
    this.take('newline');
  }

  private scalar(key: boolean): Scalar {
    const t = this.toks[this.i++];
    // A plain scalar is a marker token, then its text.
    const text = t?.type === 'scalar' ? this.toks[this.i++] : t;
    if (!text || (t!.type !== 'scalar' && t!.type !== 'double-quoted-scalar' && t!.type !== 'single-quoted-scalar')) giveUp();
    if (key && text.src.length > LONGEST_KEY) giveUp();
    const s = new Scalar(scalarValue(t!.type, text.src));
    s.range = [text.off, text.off + text.src.length, text.off + text.src.length];
    return s;
  }

  private isScalarStart(): boolean {
    const t = this.peek()?.type;
    return t === 'scalar' || t === 'double-quoted-scalar' || t === 'single-quoted-scalar';
  }

  private addPair(map: YAMLMap, key: Scalar, value: unknown, seen: Set<unknown>): void {
    if (seen.has(key.value)) giveUp();
    seen.add(key.value);
    map.items.push(new Pair(key, value));
  }

  /** A flow mapping on one line; `nested` says whether its values may be mappings. */
  private flowMap(nested: boolean): YAMLMap {
    const open = this.take('flow-map-start');
    const map = new YAMLMap();
    const seen = new Set<unknown>();
    for (;;) {
      this.skipSpace();
      if (this.peek()?.type === 'flow-map-end') break;
      const key = this.scalar(true);
      this.skipSpace();
      this.take('map-value-ind');
      this.skipSpace();
      const value = this.peek()?.type === 'flow-map-start' && nested ? this.flowMap(false) : this.scalar(false);
      this.addPair(map, key, value, seen);
      this.skipSpace();
      if (this.peek()?.type === 'comma') this.i++;
      else if (this.peek()?.type !== 'flow-map-end') giveUp();
    }
    const close = this.take('flow-map-end');
    map.flow = true;
    map.range = [open.off, close.off + 1, close.off + 1];
    return map;
  }

  /**
   * A block mapping whose first key is at the cursor, at column `col`; its other keys on lines
   * of that indentation. It ends at a line indented `outer` or less (or the end).
   */
  private blockMap(col: number, outer: number, nested: boolean): YAMLMap {
    const map = new YAMLMap();
    const seen = new Set<unknown>();
    const start = this.peek()!.off;
    let end = start;
    for (;;) {
      const key = this.scalar(true);
      this.skipSpace();
      this.take('map-value-ind');
      if (this.peek()?.type === 'space' && this.peek(1) && this.peek(1)!.type !== 'newline' && this.peek(1)!.type !== 'comment') {
        this.i++;
        const value = this.peek()?.type === 'flow-map-start' ? this.flowMap(false) : this.scalar(false);
        end = (value as Scalar | YAMLMap).range![1];
        this.addPair(map, key, value, seen);
        this.endLine();
      } else {
        // The value is a mapping on the lines below, indented past this key.
        if (!nested) giveUp();
        this.endLine();
        const next = this.nextLine();
        if (!next || next.indent <= col) giveUp();
        this.i = next.at;
        const value = this.blockMap(next.indent, col, false);
        end = value.range![1];
        this.addPair(map, key, value, seen);
      }
      const next = this.nextLine();
      if (!next || next.indent <= outer) break;
      if (next.indent !== col) giveUp();
      this.i = next.at;
    }
    map.range = [start, end, end];
    return map;
  }

  /** The list: every entry a `- ` at one indentation. */
  list(): YAMLSeq {
    const seq = new YAMLSeq();
    if (this.peek()?.type === 'doc-mode') this.i++;
    let indent: number | undefined;
    for (;;) {
      const line = this.nextLine();
      if (!line) break;
      if (indent === undefined) indent = line.indent;
      if (line.indent !== indent) giveUp();
      this.i = line.at;
      this.take('seq-item-ind');
      const gap = this.take('space');
      let item: YAMLMap;
      if (this.peek()?.type === 'flow-map-start') {
        item = this.flowMap(true);
        this.endLine();
      } else if (this.isScalarStart()) {
        item = this.blockMap(indent + 1 + gap.src.length, indent, true);
      } else return giveUp();
      seq.items.push(item);
    }
    return seq;
  }
}

/**
 * readSimpleList reads a piece of a `nodes:` list that holds only the shapes above, giving its
 * list (with lineCounter filled, as parseDocument fills it), or undefined: then read the piece
 * with parseDocument.
 */
export function readSimpleList(text: string, lineCounter: LineCounter): YAMLSeq | undefined {
  const toks: Tok[] = [];
  let off = 0;
  const lines: number[] = [0];
  let atScalar = false;
  for (const src of new Lexer().lex(text)) {
    // The token after a scalar marker is the scalar's text, whatever it looks like.
    const type: string = atScalar ? 'scalar-text' : (CST.tokenType(src) ?? 'unknown');
    toks.push({ type, src, off });
    atScalar = type === 'scalar';
    if (type === 'newline') lines.push(off + src.length);
    // Markers (document mode, a scalar's start, a flow's error end) stand for no text.
    if (type !== 'scalar' && type !== 'doc-mode' && type !== 'flow-error-end') off += src.length;
  }
  try {
    const seq = new Reader(toks).list();
    for (const l of lines) lineCounter.addNewLine(l);
    return seq;
  } catch (e) {
    if (e === NOT_SIMPLE) return undefined;
    throw e;
  }
}
