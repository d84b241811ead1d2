/**
 * The capability table: every profile option in profiles/profile.schema.json is, for every
 * backend, either rendered or refused with an error at its line:col. Nothing is dropped silently.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../dist/index.js';
import { ROOT, runCli, tempDir, writeTemp } from './helpers.js';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  $ref?: string;
}

/** The option paths of the schema, as the table names them. */
function schemaOptions(): string[] {
  const schema = JSON.parse(readFileSync(join(ROOT, 'profiles', 'profile.schema.json'), 'utf8')) as SchemaNode & { definitions: Record<string, SchemaNode> };
  const deref = (n: SchemaNode): SchemaNode => (n.$ref ? schema.definitions[n.$ref.split('/').pop()!]! : n);
  const out: string[] = [];
  for (const [k, v] of Object.entries(schema.properties!)) {
    if (k === 'packaging') {
      const source = deref(deref(v.properties!.containerd!).properties!.upstream!);
      for (const f of Object.keys(source.properties!)) out.push(`packaging.*.*.${f}`);
    } else if (k === 'files') {
      for (const f of Object.keys(deref(v.items!).properties!)) out.push(`files[].${f}`);
    } else if (v.properties && !['keys', 'repos'].includes(k)) {
      for (const f of Object.keys(v.properties)) out.push(`${k}.${f}`);
    } else {
      out.push(k);
    }
  }
  return out.sort();
}

/** A profile that sets each refused option, and where the error must point. */
const REFUSED_EXAMPLES: Record<string, { extends: string; body: string; at: string }> = {
  'distro.cloudInitFloor@ignition': { extends: 'fcos/containerd', body: 'distro:\n  cloudInitFloor: "22.1"\n', at: '3:19' },
  'mcr.repository@ignition': { extends: 'fcos/containerd', body: 'mcr:\n  repository: https://mcr.example.com\n', at: '3:15' },
  'mcr.channel@ignition': { extends: 'flatcar/containerd', body: 'mcr:\n  channel: stable-25.0\n', at: '3:12' },
  'mcr.keyFingerprint@ignition': { extends: 'fcos/docker', body: `mcr:\n  keyFingerprint: ${'AB'.repeat(20)}\n`, at: '3:19' },
  'mcr.criDockerdService@ignition': { extends: 'fcos/containerd', body: 'mcr:\n  criDockerdService: cri-docker.service\n', at: '3:22' },
  'mcr.criDockerdSocketUnit@ignition': { extends: 'fcos/containerd', body: 'mcr:\n  criDockerdSocketUnit: cri-docker.socket\n', at: '3:25' },
  'kubernetes.sysext@cloud-init': { extends: 'ubuntu-24.04/containerd', body: 'kubernetes:\n  sysext:\n    url: https://example.com/k.raw\n', at: '4:5' },
  'packaging.*.*.disableSysexts@cloud-init': {
    extends: 'ubuntu-24.04/containerd',
    body: 'packaging:\n  containerd:\n    upstream:\n      version: "2.3"\n      disableSysexts: [docker-flatcar]\n',
    at: '6:23',
  },
  'ignition.version@cloud-init': { extends: 'debian-12/containerd', body: 'ignition:\n  version: "3.3.0"\n', at: '3:12' },
  'ignition.snippets@cloud-init': { extends: 'rhel-9/containerd', body: 'ignition:\n  snippets: [x.ign]\n', at: '3:13' },
  'crio.sysext@cloud-init': { extends: 'ubuntu-24.04/cri-o', body: `crio:\n  sysext:\n    sha256: {amd64: ${'a'.repeat(64)}}\n`, at: '4:5' },
  'packaging.*.*.sysextUrl@cloud-init': {
    extends: 'ubuntu-24.04/containerd',
    body: 'packaging:\n  containerd:\n    upstream:\n      version: "2.3"\n      sysextUrl: https://example.com/x.raw\n',
    at: '6:18',
  },
};

describe('capability table', () => {
  it('names every profile option for every backend, and nothing else', () => {
    expect(Object.keys(CAPABILITIES).sort()).toEqual(schemaOptions());
    for (const [option, byBackend] of Object.entries(CAPABILITIES)) {
      expect(Object.keys(byBackend).sort(), option).toEqual(['cloud-init', 'ignition']);
    }
  });

  it('refuses each option a backend cannot render, at its line:col, with the reason', () => {
    const refused = Object.entries(CAPABILITIES).flatMap(([option, byBackend]) =>
      Object.entries(byBackend)
        .filter(([, c]) => 'refused' in c)
        .map(([backend, c]) => ({ key: `${option}@${backend}`, option, reason: (c as { refused: string }).refused })),
    );
    expect(refused.map((r) => r.key).sort()).toEqual(Object.keys(REFUSED_EXAMPLES).sort());
    for (const r of refused) {
      const ex = REFUSED_EXAMPLES[r.key]!;
      const file = writeTemp(tempDir(), 'node.yaml', `extends: ${ex.extends}\n${ex.body}`);
      const out = runCli(['render', file]);
      expect(out.status, r.key).toBe(1);
      expect(out.stderr, r.key).toContain(`node.yaml:${ex.at}: error E-BACKEND-CAPABILITY: the ${r.key.split('@')[1]} backend cannot render ${r.option}: ${r.reason}`);
    }
  });
});
