/**
 * The cloud-init backend's model of PyYAML (src/backends/cloud-init/pyyaml.ts), held to PyYAML
 * itself: the table of types a plain scalar can take, the reader the verify step uses, and the
 * serializer's quoting of every string that looks like another type.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { PYYAML_IMPLICIT, pyyamlImplicitTag, readAsPyYaml } from '../dist/backends/cloud-init/pyyaml.js';
import { verify } from '../dist/backends/cloud-init/emit.js';
import { needPyYaml, pyYamlLoad } from './pyyaml.js';
import { readCloudConfig } from './cloud-config.js';

/** The tag PyYAML's own resolver gives each text as a plain scalar ('tag:yaml.org,2002:str' for none). */
function pyYamlResolve(texts: readonly string[]): string[] {
  const script =
    'import sys, json, yaml\n' +
    'r = yaml.resolver.Resolver()\n' +
    'texts = json.loads(sys.stdin.buffer.read().decode("utf-8"))\n' +
    'sys.stdout.write(json.dumps([r.resolve(yaml.nodes.ScalarNode, t, (True, False)) for t in texts]))\n';
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`PyYAML failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

/**
 * Texts near every type's edge (the last two of the fixed words are timestamps to PyYAML that
 * `yaml` writes plain; PyYAML reads the first as a datetime and refuses the second): matches of each pattern, the same with a character put in or
 * taken out, and short strings of the characters the patterns are made of. No newline: a plain
 * scalar cannot end with one (where Python's `$` would differ).
 */
function nearTypes(perPattern: number, seed: number): string[] {
  const out = new Set<string>();
  const alphabet = '0123456789-+._:eEbxXoOaAfFyYnNtTlLsSuUrR~<=/ ';
  for (const t of PYYAML_IMPLICIT) {
    for (const m of fc.sample(fc.stringMatching(t.pattern), { numRuns: perPattern, seed })) {
      out.add(m);
      out.add(m.slice(1));
      out.add(m.slice(0, -1));
      out.add(`${m}0`);
      out.add(`_${m}`);
      out.add(`+${m}`);
      out.add(m.toUpperCase());
    }
  }
  for (const s of fc.sample(fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 12 }), { numRuns: perPattern * 4, seed })) out.add(s);
  for (const w of ['on', 'y', 'n', 'Yes', 'NO', '0644', '1:20', '190:20:30', '1_000', '0b101', '0x1F', '.5', '+.5', '1.e+400', '.inf', '-.Inf', '.NaN', '2001-12-14', '2001-13-45', '2001-12-14 21:59:43.10 -5', '~', 'null', '', '=', '<<', '1e3', '1.0e3', '0o17', '+0', '-0', '_1', '2001-12-14T21:59:43.', '3017-08-05t0:70:29.'])
    out.add(w);
  return [...out].filter((s) => !s.includes('\n'));
}

describe("PyYAML's types of plain scalars", () => {
  it('the table types each text as PyYAML 6 itself resolves it', (ctx) => {
    needPyYaml(ctx);
    const texts = nearTypes(300, 17);
    expect(texts.length).toBeGreaterThan(3000);
    const resolved = pyYamlResolve(texts);
    const differ = texts.filter((t, i) => (pyyamlImplicitTag(t) ?? 'tag:yaml.org,2002:str') !== resolved[i]);
    expect(differ).toEqual([]);
    // Every type of the table is met, and plain strings too.
    expect(new Set(resolved)).toEqual(new Set([...PYYAML_IMPLICIT.map((t) => t.tag), 'tag:yaml.org,2002:str']));
  });

  it("the verify step's reader types plain scalars by that table, and reads quoted ones as strings", () => {
    // The texts that can stand as a plain value at all (no indicator first, no ": ", no ":" or
    // space last), and the two that PyYAML refuses there.
    const texts = nearTypes(80, 5).filter((t) => /^[A-Za-z0-9_/.@%+~-][A-Za-z0-9_/.@%+~=:*()' -]*$/.test(t) && !/: |:$| $|^-$/.test(t));
    expect(texts.length).toBeGreaterThan(1000);
    let typed = 0;
    for (const t of texts) {
      const plain = readAsPyYaml(`k: ${t}\n`) as { k: unknown };
      if (pyyamlImplicitTag(t) === undefined) expect(plain.k, t).toBe(t);
      else (typed++, expect(plain.k, t).not.toBe(t));
      expect((readAsPyYaml(`k: ${JSON.stringify(t)}\n`) as { k: unknown }).k).toBe(t);
    }
    expect(typed).toBeGreaterThan(300);
    expect(() => readAsPyYaml('k: =\n')).toThrow(/cannot construct/);
    expect(() => readAsPyYaml('k: [a, <<]\n')).toThrow(/cannot construct/);
  });

  it('strings that look like any type go through crinit quoted: read back by PyYAML, the verify reader and yaml as the same strings', (ctx) => {
    needPyYaml(ctx);
    const words = nearTypes(30, 3).filter((t) => t !== '');
    const outputs: string[] = [];
    for (let i = 0; i < words.length; i += 60) {
      const chunk = words.slice(i, i + 60);
      const r = compile({ profile: { path: 'types.yaml', text: JSON.stringify({ extends: 'debian-12/containerd', commands: [['echo', ...chunk]], files: chunk.map((w, j) => ({ path: `/etc/crinit-types/${j}`, content: w })) }) } });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      outputs.push(r.output!);
      const d = readCloudConfig(r.output!);
      const line = d.runcmd.find((c) => c[1] === 'user-command-1')!;
      expect(line.slice(line.indexOf('--') + 2)).toEqual(chunk);
    }
    const back = pyYamlLoad(outputs);
    outputs.forEach((t, i) => {
      expect(readAsPyYaml(t)).toEqual(back[i]);
      expect(parseYaml(t, { version: '1.1' })).toEqual(back[i]);
    });
  });
});

describe('the verify step', () => {
  const document = { write_files: [{ path: '/etc/x', content: 'on' }], runcmd: [['echo', 'on']] };

  it('passes the text written for a document', () => {
    expect(verify('#cloud-config\nwrite_files:\n- path: /etc/x\n  content: "on"\nruncmd:\n- [ echo, "on" ]\n', document)).toEqual([]);
  });

  it('refuses, as a crinit bug, text that PyYAML would read otherwise', () => {
    for (const text of [
      '#cloud-config\nwrite_files:\n- path: /etc/x\n  content: on\nruncmd:\n- [ echo, "on" ]\n',
      '#cloud-config\nwrite_files:\n- path: /etc/x\n  content: "on"\nruncmd:\n- [ echo, on ]\n',
      '#cloud-config\nwrite_files:\n- path: /etc/x\n  content: "on"\nruncmd:\n- [ echo, "on", "" ]\n',
      '#cloud-config\nwrite_files:\n- path: /etc/x\n  content: "on"\nruncmd:\n- [ echo, "on" \n',
      'write_files:\n- path: /etc/x\n  content: "on"\nruncmd:\n- [ echo, "on" ]\n',
    ]) {
      const problems = verify(text, document);
      expect(problems.map((p) => p.code), text).toEqual(['E-INTERNAL']);
    }
    const typed = { write_files: [{ path: '/etc/x', content: '=' }], runcmd: [['echo', '0644', '<<']] };
    expect(verify('#cloud-config\nwrite_files:\n- path: /etc/x\n  content: =\nruncmd:\n- [ echo, "0644", "<<" ]\n', typed)).toHaveLength(1);
    expect(verify('#cloud-config\nwrite_files:\n- path: /etc/x\n  content: "="\nruncmd:\n- [ echo, 0644, "<<" ]\n', typed)).toHaveLength(1);
    expect(verify('#cloud-config\nwrite_files:\n- path: /etc/x\n  content: "="\nruncmd:\n- [ echo, "0644", "<<" ]\n', typed)).toEqual([]);
  });
});
