/**
 * The validator compiled at build time runs on crinit's own helpers, not ajv's: string lengths in
 * code points and deep equality, checked here and through the real validator (minLength counts
 * characters, uniqueItems compares values).
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../dist/index.js';
import { equal, ucs2length } from '../dist/profile/schema-runtime.js';

describe('the validator helpers', () => {
  it('count code points and compare JSON values deeply', () => {
    expect([ucs2length(''), ucs2length('abc'), ucs2length('😀'), ucs2length('e\u0301')]).toEqual([0, 3, 1, 2]);
    expect(equal({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
    expect(equal({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(equal([1, 2], [2, 1])).toBe(false);
    expect(equal('1', 1)).toBe(false);
    expect(equal(null, {})).toBe(false);
  });

  it('refuses a list with the same item twice, and takes one whose items differ', () => {
    const dup = compile({ profile: { path: 'n.yaml', text: 'extends: ubuntu-24.04/containerd\nkubernetes:\n  version: "1.36"\n  packages: [kubelet, kubelet]\n' } });
    expect(dup.diagnostics.find((d) => d.severity === 'error')).toMatchObject({ code: 'E-SCHEMA', position: { line: 4, col: 13 } });
    const ok = compile({ profile: { path: 'n.yaml', text: 'extends: ubuntu-24.04/containerd\nkubernetes:\n  version: "1.36"\n  packages: [kubelet, kubeadm]\n' } });
    expect(ok.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
