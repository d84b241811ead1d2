/**
 * The quick read of an inventory's entries (src/inventory-simple.ts) against yaml's parseDocument,
 * on generated pieces of the shapes it takes and of many it must leave to yaml: whatever it reads,
 * yaml reads the same (values, types, and where every map, key and value starts), and yaml finds
 * nothing wrong with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { readSimpleList } from '../dist/inventory-simple.js';

/** Every map, key and scalar of a tree: its value or kind, and the line and column it starts at. */
function shape(node: unknown, lc: LineCounter): unknown {
  const at = (n: { range?: readonly number[] | null }) => lc.linePos(n.range![0]!);
  if (isSeq(node)) return { seq: node.items.map((n) => shape(n, lc)) };
  if (isMap(node)) return { map: node.items.map((p) => (isPair(p) ? [shape(p.key, lc), shape(p.value, lc)] : 'not a pair')), at: at(node) };
  if (isScalar(node)) return { value: node.value, type: typeof node.value, at: at(node) };
  return { other: String(node) };
}

const usual = fc.constantFrom('n0', 'worker-1', 'node.yaml', 'r1', 'a.b_c', 'x y', 'http://boot/k', 'console=ttyS0 quiet', '52:54:00:00:00:01');
const odd = fc.constantFrom('null', 'True', 'FALSE', '~', '12', '0x1F', '0o17', '1.5', '-3', '.inf', '.NaN', '1e3', '52:54:00:00:00:01', 'http://boot/k', 'console=ttyS0 quiet', 'on', 'yes', 'a#b', '-x', '@x', '`x', '!x', '*x', '&x', '|', '>', '%x', '?x', 'é');
const doubled = fc.constantFrom('"n0"', '"a\\tb"', '"a\\"b"', '"x: y"', '"#c"', '""', '"a\\u00e9"', '"12"', '"unclosed', '"a\\\n b"');
const single = fc.constantFrom("'n0'", "'it''s'", "''", "'a\\b'", "'12'", "'unclosed");
const scalar = fc.oneof({ weight: 12, arbitrary: usual }, { weight: 3, arbitrary: odd }, { weight: 2, arbitrary: doubled }, { weight: 2, arbitrary: single });
const key = fc.oneof({ weight: 12, arbitrary: fc.constantFrom('name', 'mac', 'profile', 'vars', 'boot', 'role', 'kernel', 'args') }, { weight: 1, arbitrary: scalar });
const gap = fc.constantFrom('', ' ', '  ');
const comment = fc.constantFrom('', '', ' # c', '  #c', '#c');

/** A flow mapping, its values scalars or (depth 1) flow mappings, with spacing of every kind. */
const flowMap: fc.Arbitrary<string> = fc.letrec<{ map: string; value: string }>((tie) => ({
  map: fc.tuple(fc.array(fc.tuple(gap, key, gap, fc.constantFrom(':', ': ', ': ', ':  ', ':  ', ': ', ''), tie('value'), gap), { maxLength: 4 }), fc.constantFrom('', ',')).map(
    ([pairs, trail]) => `{${pairs.map(([a, k, b, colon, v, c]) => `${a}${k}${b}${colon}${v}${c}`).join(',')}${trail}}`,
  ),
  value: fc.oneof({ weight: 20, arbitrary: scalar }, { weight: 1, arbitrary: fc.constant('[a, b]') }, { weight: 3, arbitrary: fc.constant('{role: r1}') }, { weight: 1, arbitrary: fc.constant('') }),
})).map;

/** A block mapping at column `col`: keys with scalar or flow values, or a nested mapping below. */
function blockMap(col: number, first: string): fc.Arbitrary<string[]> {
  const pad = ' '.repeat(col);
  const line = fc.oneof(
    { weight: 12, arbitrary: fc.tuple(key, fc.constantFrom(': ', ': ', ':  ', ':', ' : '), fc.oneof(scalar, flowMap), comment).map(([k, c, v, t]) => [`${k}${c}${v}${t}`]) },
    {
      weight: 4,
      arbitrary: fc.tuple(key, comment, fc.constantFrom(2, 2, 4, 1, 0), fc.array(fc.tuple(key, fc.oneof(scalar, flowMap, fc.constant('')), comment), { minLength: 1, maxLength: 3 })).map(([k, t, more, subs]) => [
        `${k}:${t}`,
        ...subs.map(([sk, sv, st]) => `${pad}${' '.repeat(more)}${sk}: ${sv}${st}`),
      ]),
    },
    { weight: 1, arbitrary: fc.constantFrom(['# a comment line'], [''], ['  # indented comment'], ['- not a key']) },
    { weight: 1, arbitrary: fc.tuple(key, fc.constantFrom('', ' ')).map(([k, s]) => [`${k}:${s}`]) },
  );
  return fc.array(line, { minLength: 1, maxLength: 4 }).map((lines) => {
    const flat = lines.flat();
    return [`${first}${flat[0]!.replace(/^ +/, '')}`, ...flat.slice(1).map((l) => (l.startsWith(' ') || l === '' || l.startsWith('#') ? l : `${pad}${l}`))];
  });
}

function entry(ind: number): fc.Arbitrary<readonly string[]> {
  const lead = ' '.repeat(ind);
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom('- ', '- ', '-  ', '-'), flowMap, comment).map(([d, m, c]) => [`${lead}${d}${m}${c}`]) },
    { weight: 4, arbitrary: fc.constantFrom('- ', '- ', '-   ').chain((d) => blockMap(ind + d.length, `${lead}${d}`)) },
    { weight: 1, arbitrary: fc.constantFrom([`${lead}- &a {name: n0}`], [`${lead}- !!map {name: n0}`], [`${lead}-`, `${lead}  name: n0`], [`${lead}- name: |`, `${lead}    x`], [`${lead}- ? name`, `${lead}  : n0`]) },
  );
}
const piece = fc.tuple(fc.constantFrom(0, 2, 4), fc.integer({ min: 1, max: 2 })).chain(([ind, n]) =>
  fc.tuple(fc.array(entry(ind), { minLength: n, maxLength: n }), fc.constantFrom('', '\n', '\n\n# trailing\n')).map(([es, tail]) => `${es.flat().join('\n')}${tail}`),
);

describe('the quick read of inventory entries', () => {
  it('reads a piece as parseDocument does, or leaves it to parseDocument', () => {
    let read = 0;
    let left = 0;
    fc.assert(
      fc.property(piece, (text) => {
        const quick = new LineCounter();
        const list = readSimpleList(text, quick);
        const ref = new LineCounter();
        const doc = parseDocument(text, { lineCounter: ref, uniqueKeys: true });
        if (!list) {
          left++;
          return;
        }
        read++;
        expect(doc.errors, text).toEqual([]);
        expect(shape(list, quick), text).toEqual(shape(doc.contents, ref));
      }),
      { numRuns: 6000, seed: 20261201 },
    );
    // Both ways were taken often.
    expect(read).toBeGreaterThan(300);
    expect(left).toBeGreaterThan(300);
  });

  it('reads the entries inventories are made of, and gives positions as parseDocument does', () => {
    const text = [
      '  - {name: n0, mac: "52:54:00:00:00:01", profile: node.yaml, vars: {role: r0, n: 12}}  # c',
      '# a comment less indented',
      '  - name: n1',
      "    mac: '52:54:00:00:00:02'",
      '',
      '    vars:',
      '      role: r1  # its role',
      '      count: 0x1F',
      '    "boot": {kernel: "http://boot/k", initrd: http://boot/i, args: console=ttyS0 quiet}',
      '',
    ].join('\n');
    const quick = new LineCounter();
    const list = readSimpleList(text, quick);
    expect(list).toBeDefined();
    const ref = new LineCounter();
    const doc = parseDocument(text, { lineCounter: ref });
    expect(shape(list, quick)).toEqual(shape(doc.contents, ref));
    expect(list!.toJSON()).toEqual([
      { name: 'n0', mac: '52:54:00:00:00:01', profile: 'node.yaml', vars: { role: 'r0', n: 12 } },
      { name: 'n1', mac: '52:54:00:00:00:02', vars: { role: 'r1', count: 31 }, boot: { kernel: 'http://boot/k', initrd: 'http://boot/i', args: 'console=ttyS0 quiet' } },
    ]);
  });

  it('leaves to parseDocument what it does not take: a key given twice, an alias, a list, an empty value, a block scalar', () => {
    for (const text of ['- {name: a, name: b}\n', '- {name: *x}\n', '- {vars: [a]}\n', '- name:\n  mac: x\n', '- name: |\n    a\n', '- name: a\n   mac: b\n', '- {name: a,\n   mac: b}\n', '- name: "a\n  b"\n']) {
      expect(readSimpleList(text, new LineCounter()), text).toBeUndefined();
    }
  });
});
