/**
 * Reading an inventory in pieces (src/inventory.ts) against reading it whole: the same nodes,
 * positions and diagnostics on every inventory, and a fleet rendered from pieces on another
 * thread (renderInventoryStream) against renderInventory.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inventoryJob, parseInventory, parseInventoryWhole, readPieces, type ChunkJob, type ChunkResult } from '../dist/inventory.js';
import { renderInventory, renderInventoryStream, type FleetOutput } from '../dist/fleet.js';
import { runCli, tempDir, writeTemp } from './helpers.js';

const hex = (n: number) => n.toString(16).padStart(2, '0');
const mac = (i: number) => `52:54:00:${hex((i >> 8) & 255)}:${hex(i & 255)}:01`;

/** One entry of `nodes:` in one of the styles people write, at indentation `ind`. */
function entry(i: number, style: number, ind: string): string {
  const sub = `${ind}  `;
  switch (style) {
    case 0:
      return `${ind}- {name: n${i}, mac: "${mac(i)}", profile: node.yaml, vars: {role: r${i}}}`;
    case 1:
      return [`${ind}- name: n${i}`, `${sub}mac: '${mac(i)}'`, `${sub}vars:`, `${sub}  role: r${i}  # its role`].join('\n');
    case 2:
      // A comment less indented than the list, and a blank line, inside the list.
      return [`# node ${i}`, `${ind}- name: "n${i}"`, '', `${sub}vars: {role: "r${i}"}`].join('\n');
    case 3:
      // A quoted value over two lines, and a folded block scalar in a boot entry.
      return [`${ind}- name: n${i}`, `${sub}vars: {role: "r${i}`, `${sub}  "}`, `${sub}boot:`, `${sub}  kernel: http://boot/k`, `${sub}  initrd: http://boot/i`, `${sub}  args: >-`, `${sub}    console=ttyS0`, `${sub}    quiet`].join('\n');
    case 4:
      // A number where a string is expected, and a key given as a quoted string.
      return [`${ind}-   name: n${i}`, `${ind}    "vars": {role: ${i}}`].join('\n');
    case 5:
      // Wrong: a bad MAC address (a diagnostic, so the whole read decides).
      return `${ind}- {name: n${i}, mac: "zz", vars: {role: r${i}}}`;
    case 6:
      // Wrong: an unknown key.
      return `${ind}- {name: n${i}, rolee: x}`;
    case 7:
      // Wrong YAML: a quoted value whose second line is not indented past the list.
      return [`${ind}- name: "n${i}`, `${ind}- x"`].join('\n');
    default:
      // Anchors and aliases: never read in pieces.
      return `${ind}- &a${i} {name: n${i}, vars: {role: r${i}}}`;
  }
}

function inventory(count: number, styles: readonly number[], ind: string, defaultsAfter: boolean, crlf: boolean): string {
  const defaults = 'defaults:\n  profile: node.yaml\n  boot: {kernel: "http://boot/k0", initrd: "http://boot/i0"}\n';
  const body = Array.from({ length: count }, (_, i) => entry(i, styles[i % styles.length]!, ind)).join('\n');
  const text = `${defaultsAfter ? '' : defaults}nodes:   # the machines\n${body}\n${defaultsAfter ? defaults : ''}`;
  return crlf ? text.replace(/\n/g, '\r\n') : text;
}

describe('an inventory read in pieces', () => {
  it('gives the nodes, positions and diagnostics of the whole read, on any inventory', () => {
    let pieces = 0;
    let wrongInPieces = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }),
        // Mostly clean styles; now and then a wrong one.
        fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 5, max: 8 }) }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', '  ', '    '),
        fc.boolean(),
        fc.boolean(),
        (count, styles, ind, defaultsAfter, crlf) => {
          const text = inventory(count, styles, ind, defaultsAfter, crlf);
          const whole = parseInventoryWhole('nodes.yaml', text);
          expect(parseInventory('nodes.yaml', text)).toEqual(whole);
          const job = inventoryJob('nodes.yaml', text);
          if (job && job.chunks.length > 1) pieces++;
          if (job && job.chunks.length > 1 && whole.diagnostics.length > 0) wrongInPieces++;
          if (!job) refused++;
        },
      ),
      { numRuns: 150, seed: 20261201 },
    );
    // Every way was taken: inventories in several pieces, clean and wrong, and some that must be
    // read whole.
    expect(pieces).toBeGreaterThan(25);
    expect(wrongInPieces).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(10);
  });

  it('a piece starts at an entry and keeps the file\'s lines: a node 450 entries down is at its own line', () => {
    const text = inventory(600, [1], '  ', false, false);
    const job = inventoryJob('nodes.yaml', text)!;
    expect(job.chunks.map((c) => c.entries)).toEqual([200, 200, 200]);
    const nodes = parseInventory('nodes.yaml', text).nodes;
    // defaults: is 3 lines, then nodes:, then four lines an entry.
    expect(nodes[450]!.position).toEqual({ line: 5 + 450 * 4, col: 5 });
    expect(nodes[450]!.varPositions!.role).toEqual({ line: 5 + 450 * 4 + 3, col: 13 });
    expect(text.split('\n')[5 + 450 * 4 + 3 - 1]).toBe('      role: r450  # its role');
  });
});

/** Reads a job's pieces "elsewhere": here, one at a time, a turn of the event loop apart; failing after `failAfter` pieces. */
function elsewhere(failAfter = Infinity) {
  return (job: ChunkJob): AsyncIterable<ChunkResult> =>
    (async function* () {
      const results: ChunkResult[] = [];
      readPieces(job, (r) => results.push(r));
      for (const [i, r] of results.entries()) {
        if (i >= failAfter) throw new Error('the reader stopped');
        await new Promise((resolve) => setImmediate(resolve));
        yield r;
      }
    })();
}

describe('a fleet rendered while its pieces are read', () => {
  const profile = 'extends: ubuntu-24.04/containerd\nfiles:\n  - path: /etc/crinit-role/${role}\n    content: "node ${role}\\n"\n';
  const readFile = (p: string) => (p.endsWith('node.yaml') ? profile : undefined);
  const collect = () => {
    const got = new Map<string, string>();
    return { got, sink: (o: FleetOutput) => void got.set(o.name, o.output) };
  };

  it('gives what renderInventory gives, also when the other thread stops half-way', async () => {
    const text = inventory(650, [0, 1, 4], '  ', false, false);
    const whole = collect();
    const reference = renderInventory('nodes.yaml', text, { readFile }, { sink: whole.sink });
    expect(reference.diagnostics).toEqual([]);
    expect(whole.got.size).toBe(650);
    for (const failAfter of [Infinity, 2, 0]) {
      const streamed = collect();
      const r = await renderInventoryStream('nodes.yaml', text, { readFile }, { sink: streamed.sink }, elsewhere(failAfter));
      expect(r?.diagnostics).toEqual([]);
      expect(r?.profilesCompiled).toBe(1);
      expect(streamed.got).toEqual(whole.got);
    }
  });

  it('gives up (for renderInventory to decide) on anything wrong, and on a variable name the first piece did not carry', async () => {
    const wrong = inventory(650, [0], '  ', false, false).replace('r450}', 'r450, "bad value!"}');
    expect(await renderInventoryStream('nodes.yaml', wrong, { readFile }, {}, elsewhere())).toBeUndefined();
    expect(renderInventory('nodes.yaml', wrong, { readFile }).diagnostics.length).toBeGreaterThan(0);
    const twin = inventory(650, [0], '  ', false, false).replace('name: n600,', 'name: n6,');
    expect(await renderInventoryStream('nodes.yaml', twin, { readFile }, {}, elsewhere())).toBeUndefined();
    expect(renderInventory('nodes.yaml', twin, { readFile }).diagnostics[0]!.message).toMatch(/^n6 repeats the name of the node at line 11$/);
    // A name first carried in the third piece: compiled with both names at once, the profile's
    // sentinels differ, so the pieces' render is not the one to keep.
    const later = inventory(650, [0], '  ', false, false).replace('vars: {role: r500}', 'vars: {role: r500, zone: z1}');
    expect(await renderInventoryStream('nodes.yaml', later, { readFile }, {}, elsewhere())).toBeUndefined();
    expect(renderInventory('nodes.yaml', later, { readFile }).diagnostics).toEqual([]);
  });
});

describe('crinit render --inventory, read in pieces', () => {
  it('a wrong value far down the list is reported where it stands, as read whole, and nothing is written', () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', 'extends: ubuntu-24.04/containerd\nfiles:\n  - path: /etc/crinit-role/${role}\n    content: "node ${role}\\n"\n');
    const text = inventory(650, [0], '  ', false, false).replace('vars: {role: r450}', 'vars: {role: "../../usr/local/sbin/crinit-step"}');
    writeTemp(dir, 'nodes.yaml', text);
    const r = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out', '--json'], { cwd: dir });
    expect(r.status).toBe(1);
    const found = JSON.parse(r.stderr) as { diagnostics: { file: string; line: number; column: number; message: string }[] };
    // Line 5 is n0 (three lines of defaults, then nodes:); the value's column.
    const line = 5 + 450;
    expect(found.diagnostics.map((d) => [d.file, d.line, d.column])).toEqual([['nodes.yaml', line, text.split('\n')[line - 1]!.indexOf('"../') + 1]]);
    expect(found.diagnostics[0]!.message).toMatch(/^n450: with its values of role, the profile is refused/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['node.yaml', 'nodes.yaml']);
  });

  it('a clean list of several pieces: every node written, each equal to render --var', () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', 'extends: ubuntu-24.04/containerd\nfiles:\n  - path: /etc/crinit-role/${role}\n    content: "node ${role}\\n"\n');
    writeTemp(dir, 'nodes.yaml', inventory(450, [0, 1], '  ', true, false));
    const r = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'out')).length).toBe(451);
    for (const i of [0, 201, 449]) {
      expect(readFileSync(join(dir, 'out', `n${i}.user-data`), 'utf8')).toBe(runCli(['render', 'node.yaml', '--var', `role=r${i}`], { cwd: dir }).stdout);
    }
  });
});
