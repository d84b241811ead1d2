/**
 * `--format butane`. Debian has no butane package, so this test translates crinit's Butane output
 * the way Butane does (written here from Butane's docs: snake_case fields are Ignition's fields,
 * `inline` becomes a data: URL, modes are octal, variant+version select the Ignition spec), then
 * checks that the result is the Ignition config crinit emits directly, and that the real
 * ignition-validate accepts it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compile, type IgnConfig } from '../dist/index.js';
import { IGNITION_DISTROS, needTool, runCli, tempDir, writeTemp } from './helpers.js';
import { decodeDataUrl } from './ignition-config.js';

/** Butane docs/specs.md: the Ignition spec each variant version produces. */
const SPECS: Record<string, Record<string, string>> = {
  fcos: { '1.0.0': '3.0.0', '1.1.0': '3.1.0', '1.2.0': '3.2.0', '1.3.0': '3.2.0', '1.4.0': '3.3.0', '1.5.0': '3.4.0', '1.6.0': '3.5.0' },
  flatcar: { '1.0.0': '3.3.0', '1.1.0': '3.4.0' },
};

const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function translate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(translate);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'inline') out.source = `data:,${encodeURIComponent(v as string)}`;
    else out[camel(k)] = translate(v);
  }
  return out;
}

function butaneToIgnition(text: string): IgnConfig {
  // go-yaml, which Butane uses, reads 0644 as octal (YAML 1.1 style).
  const doc = parse(text, { version: '1.1' }) as Record<string, unknown>;
  const spec = SPECS[doc.variant as string]?.[doc.version as string];
  expect(spec, `${String(doc.variant)} ${String(doc.version)}`).toBeDefined();
  const { variant: _v, version: _ver, ignition, ...rest } = doc;
  return { ignition: { ...((translate(ignition ?? {}) as object) ?? {}), version: spec }, ...(translate(rest) as object) } as IgnConfig;
}

/** A config with every data: URL decoded to its text, for comparing encodings. */
function decoded(c: IgnConfig): unknown {
  return JSON.parse(JSON.stringify(c), (key, value: unknown) => {
    if (key !== 'contents' || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const r = value as { source?: string; compression?: string };
    if (!r.source?.startsWith('data:')) return value;
    return { text: decodeDataUrl(r.source, r.compression) };
  });
}

describe('--format butane', () => {
  for (const d of IGNITION_DISTROS) {
    const versions = d === 'fcos' ? ['3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.4.0', '3.5.0'] : ['3.3.0', '3.4.0'];
    it(`${d}: translates back to the Ignition config crinit emits, at every spec a Butane ${d} version produces`, (ctx) => {
      const set = ['commands=[["echo", "it\'s ${HOME} %{x}"]]', 'files=[{"path": "/etc/motd", "content": "  indented\\n\\ttab \\u00e9\\n", "mode": "0640"}]'];
      for (const v of versions) {
        const ign = compile({ profile: `${d}/containerd`, set: [...set, `ignition.version=${v}`] });
        const but = compile({ profile: `${d}/containerd`, set: [...set, `ignition.version=${v}`], butane: true });
        expect(but.format).toBe('butane');
        const back = butaneToIgnition(but.output!);
        expect(decoded(back)).toEqual(decoded(JSON.parse(ign.output!) as IgnConfig));
        if (v <= '3.3.0') {
          needTool(ctx, 'ignition-validate', 'ignition');
          const r = spawnSync('ignition-validate', [writeTemp(tempDir(), 'b.ign', JSON.stringify(back))], { encoding: 'utf8' });
          expect(r.status, r.stdout + r.stderr).toBe(0);
          expect(r.stdout + r.stderr).toBe('');
        }
      }
    });
  }

  it('writes modes in octal and file contents as readable text', () => {
    const out = runCli(['render', 'fcos/containerd', '--format', 'butane']).stdout;
    expect(out).toMatch(/^variant: fcos\nversion: 1\.4\.0$/m);
    expect(out).toMatch(/mode: 0755$/m);
    expect(out).toContain('SystemdCgroup = true');
  });

  it('refuses a spec no Butane variant version produces, and cloud-init distros', () => {
    const r = runCli(['render', writeTemp(tempDir(), 'n.yaml', 'extends: flatcar/containerd\nignition:\n  version: "3.2.0"\n'), '--format', 'butane']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/n\.yaml:3:12: error E-IGNITION-VERSION: no Butane flatcar version produces Ignition spec 3\.2\.0/);
    expect(r.stderr).toContain('1.0.0 (Ignition 3.3.0), 1.1.0 (Ignition 3.4.0)');
    const c = runCli(['render', 'ubuntu-24.04/containerd', '--format', 'butane']);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain('--format butane writes the equivalent Butane config (YAML), a source format for Ignition, and ubuntu-24.04 is provisioned by cloud-init');
  });
});

describe('--format and the distro', () => {
  it('defaults to each distro\'s own format and refuses the other', () => {
    expect(runCli(['render', 'flatcar/containerd']).stdout).toMatch(/^\{"ignition":\{"version":"3\.3\.0"\}/);
    expect(runCli(['render', 'debian-12/containerd']).stdout).toMatch(/^#cloud-config\n/);
    for (const [profile, format] of [['fcos/containerd', 'cloud-config'], ['fcos/containerd', 'mime'], ['ubuntu-24.04/containerd', 'ignition']] as const) {
      const r = runCli(['render', profile, '--format', format]);
      expect(r.status, `${profile} ${format}`).toBe(1);
      expect(r.stderr).toContain('E-BACKEND-CAPABILITY');
    }
    const gz = runCli(['render', 'fcos/containerd', '--gzip']);
    expect(gz.status).toBe(1);
    expect(gz.stderr).toContain('Ignition does not read a gzip-compressed config');
  });

  it('on AWS, an Ignition config over the budget fails with the largest parts and is never gzipped whole', () => {
    // Hash output does not compress: gzip inside the config cannot save it.
    const noise = (i: number): string => Array.from({ length: 40 }, (_, k) => createHash('sha256').update(`${i}/${k}`).digest('base64')).join('\n');
    const big = Array.from({ length: 20 }, (_, i) => ({ path: `/etc/big/${i}`, content: noise(i) }));
    const file = writeTemp(tempDir(), 'n.yaml', JSON.stringify({ extends: 'fcos/containerd', files: big }));
    const r = runCli(['render', file, '--platform', 'aws']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('E-DELIVERY-BUDGET');
    expect(r.stderr).toContain('ignition.config.replace');
    expect(r.stderr).not.toContain('gzipped');
  });
});
