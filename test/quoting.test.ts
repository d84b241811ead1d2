/**
 * The quoting helpers templates use: whatever the value, the quoted form reads back as exactly
 * that value in its format's real parser (smol-toml for TOML, JSON.parse, and /bin/sh).
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { jsonString, shellArg, shellWord, tomlString } from '../dist/render/helpers.js';

const anyText = fc.string({ unit: 'binary', maxLength: 40 });

describe('quoting helpers', () => {
  it('tomlString: a TOML basic string that smol-toml reads back exactly', () => {
    fc.assert(
      fc.property(anyText, (v) => {
        expect((parseToml(`k = ${tomlString(v)}\n`) as { k: string }).k).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it('jsonString: JSON, and a YAML double-quoted scalar, that read back exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (v) => {
        expect(JSON.parse(jsonString(v))).toBe(v);
        expect((parseYaml(`k: ${jsonString(v)}\n`) as { k: string }).k).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it('shellWord: one word for /bin/sh, whatever it holds', () => {
    const values = fc.sample(fc.string({ unit: 'grapheme', maxLength: 20 }).filter((v) => !v.includes('\0')), 200);
    values.push("it's", '$(id)', '`id`', '${HOME}', '"', '\\', '\n', '*', '-n', '');
    const script = values.map((v) => `printf '%s\\0' ${shellWord(v)}`).join('\n');
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(values);
    expect(() => shellWord('a\0b')).toThrow();
  });

  it('shellArg: one word for /bin/sh, bare only when made of characters sh gives no meaning', () => {
    const values = fc.sample(fc.string({ unit: fc.constantFrom(...'az09_@%+=:,./-~*?[]#$\'"` \t\n;&|<>(){}!^'), maxLength: 12 }), 2000);
    values.push('~', '~root', 'a=b', '#x', '*', '[a]', '{a,b}', '-n', '', 'containerd.io=2.3.*', 'https://example.com/a?b=c&d', 'Dpkg::Options::=--force-confold');
    const words = values.map(shellArg);
    // Each word as the argument of a command, several words to a line, as a runcmd line has them.
    const script = `cd "$(mktemp -d)" && touch a b x\nprintf '%s\\0' ${words.join(' ')}`;
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(values);
    expect(words.filter((w) => !w.startsWith("'")).length).toBeGreaterThan(50);
    expect(shellArg('containerd.io=2.3.*')).toBe("'containerd.io=2.3.*'");
    expect(shellArg('/usr/local/sbin/crinit-step')).toBe('/usr/local/sbin/crinit-step');
  });
});
