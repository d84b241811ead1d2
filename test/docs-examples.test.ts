/**
 * Every YAML example in README.md and docs/ is a real one: a block that names a file under
 * examples/ is that file byte for byte, every profile (a block with extends:) compiles, and every
 * inventory parses and renders. The few values only a user has (a subscriber's key fingerprint,
 * an image's sum) are written as placeholders in the docs; PLACEHOLDERS below fills them in.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
    // The table and its numbered notes (what a source needs the profile to give).
    expect(block).toBe(runCli(['list']).stdout.split('\n\nEvery source')[0]);
  });
});

describe('the commands in docs/', () => {
  /**
   * Each crinit command of the docs' sh blocks, as it is written, run from a directory with
   * dist/ and examples/ and every file a yaml block names in its first line (`# nodes.yaml`).
   * Three things are moved so that the test owns them: `crinit` is `node dist/cli.cjs`, an
   * absolute -o directory goes under the test's directory, and serve listens on a free port of
   * 127.0.0.1 (it is stopped once it says it serves).
   */
  it('every one runs and exits 0 (serve: starts, and serves the two machines with a MAC address)', async () => {
    const dir = tempDir();
    symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
    symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
    const commands: { doc: string; line: string }[] = [];
    for (const doc of DOCS.filter((d) => d.startsWith('docs/'))) {
      for (const b of yamlBlocks(doc)) {
        const name = /^# ([a-z0-9-]+\.yaml)\b/.exec(b.text)?.[1];
        if (name) writeFileSync(join(dir, name), b.text);
      }
      const text = readFileSync(join(ROOT, doc), 'utf8');
      for (const m of text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
        for (const l of m[1]!.split('\n')) {
          const line = l.replace(/\s+#.*$/, '').trim();
          if (/^(crinit|node dist\/cli\.cjs) /.test(line)) commands.push({ doc, line });
        }
      }
    }
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const c of commands) {
      const argv = c.line.replace(/^crinit /, 'node dist/cli.cjs ').replace(/ -o \/(\S+)/, ` -o ${dir}/$1`);
      // The moved directory's parent exists, as /var/lib does on a real machine.
      const moved = / -o (\/\S+)/.exec(argv)?.[1];
      if (moved) mkdirSync(dirname(moved), { recursive: true });
      if (/ serve /.test(argv)) {
        const served = await new Promise<string>((resolve) => {
          const p = spawn('sh', ['-c', argv.replace(/--listen \S+/, '--listen 127.0.0.1:0').replace(/^node /, `${JSON.stringify(process.execPath)} `)], { cwd: dir });
          let err = '';
          const timer = setTimeout(() => p.kill('SIGTERM'), 20000);
          p.stderr.on('data', (d: Buffer) => {
            err += d.toString();
            if (/serving \d+ machines on /.test(err)) p.kill('SIGTERM');
          });
          p.on('exit', () => (clearTimeout(timer), resolve(err)));
        });
        expect(served, `${c.doc}: ${c.line}`).toMatch(/serving 2 machines on http:\/\/127\.0\.0\.1:\d+\//);
        continue;
      }
      const r = spawnSync('sh', ['-c', argv.replace(/^node /, `${JSON.stringify(process.execPath)} `)], { cwd: dir, encoding: 'utf8' });
      expect(r.status, `${c.doc}: ${c.line}: ${r.stderr}`).toBe(0);
    }
  });

  it('docs/profile-reference.md is what scripts/profile-reference.mjs writes from the schema and the capability table', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'profile-reference.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
