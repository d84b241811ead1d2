/**
 * Every YAML example in README.md and docs/ is a real one: a block that names a file under
 * examples/ is that file byte for byte, every profile (a block with extends:) compiles, and every
 * inventory parses and renders. The few values only a user has (a subscriber's key fingerprint,
 * an image's sum) are written as placeholders in the docs; PLACEHOLDERS below fills them in.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../dist/index.js';
import { renderInventory } from '../dist/fleet.js';
import { ROOT, runCli, tempDir } from './helpers.js';

/** The docs' stand-ins for a user's own values, and what the test puts in their place. */
const PLACEHOLDERS: readonly (readonly [RegExp, string])[] = [
  [/"XXXX XXXX XXXX XXXX XXXX XXXX XXXX XXXX XXXX XXXX"/g, `"${'ABCD '.repeat(9)}ABCD"`],
  [/"<the sum of [^"]+>"/g, `"${'ab'.repeat(32)}"`],
  [/\b[0-9a-f]{4}…/g, 'ab'.repeat(64)],
];

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Each ```yaml block of a doc, with the line it starts on. */
function yamlBlocks(doc: string): { line: number; text: string }[] {
  const text = readFileSync(join(ROOT, doc), 'utf8');
  return [...text.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => ({ line: text.slice(0, m.index).split('\n').length, text: m[1]! }));
}

const readFile = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

describe('the examples in README.md and docs/', () => {
  const blocks = DOCS.flatMap((doc) => yamlBlocks(doc).map((b) => ({ ...b, doc })));

  it('are found (the test reads them all)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
  });

  for (const b of blocks) {
    it(`${b.doc}:${b.line}`, () => {
      const named = /^# (examples\/[A-Za-z0-9/._-]+):/.exec(b.text)?.[1];
      // A block that names an example file is that file.
      if (named) expect(b.text, `${b.doc}:${b.line} against ${named}`).toBe(readFileSync(join(ROOT, named), 'utf8'));
      const text = PLACEHOLDERS.reduce((t, [from, to]) => t.replace(from, to), b.text);
      if (/^extends:/m.test(text)) {
        // Files a profile extends are found from the repository root, as the README's commands run.
        const r = compile({ profile: { path: join(ROOT, named ?? 'example.yaml'), text }, readFile, ...(/terraform:\n\s+variables:/.test(text) ? { terraformTemplate: {} } : {}) });
        expect(r.output, `${b.doc}:${b.line}: ${r.diagnostics.map((d) => `${d.position?.line}:${d.position?.col} ${d.message}`).join('; ')}`).toBeDefined();
      } else if (/^nodes:/m.test(text)) {
        const fleet = renderInventory(join(ROOT, 'nodes.yaml'), text, { readFile });
        expect(fleet.diagnostics.filter((d) => d.severity === 'error'), `${b.doc}:${b.line}`).toEqual([]);
        expect(fleet.outputs.length).toBeGreaterThan(0);
      } else {
        // Anything else is a fragment: the editor line, say. It must at least be YAML crinit reads.
        expect(text.trim().startsWith('#') || text.includes(':'), `${b.doc}:${b.line}`).toBe(true);
      }
    });
  }
});

describe("README.md's own commands and matrix", () => {
  it('every command of its sh blocks runs, from a directory with dist/ and examples/, and exits 0', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const commands = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
      .flatMap((m) => m[1]!.split('\n'))
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l.startsWith('node dist/cli.cjs '));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    const dir = tempDir();
    symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
    symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
    for (const c of commands) {
      const r = spawnSync('sh', ['-c', c.replace(/^node /, `${JSON.stringify(process.execPath)} `)], { cwd: dir, encoding: 'utf8' });
      expect(r.status, `${c}: ${r.stderr}`).toBe(0);
    }
  });

  it("the support matrix is crinit list's table", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- crinit list -->\n```text\n([\s\S]*?)\n```\n<!-- end crinit list -->/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(block).toBe(runCli(['list']).stdout.split('\n\n')[0]);
  });
});
