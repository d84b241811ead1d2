/**
 * Extra runtime handlers (runtime.handlers): what containerd gets on every distro that has crun,
 * the packages and the first-boot check, the RuntimeClasses and node labels that match, and the
 * refusals, each at the handler's line and column. containerd's own reading of the configs is in
 * test/consumers.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { doc, fileContent, stepArgv, type CloudConfig } from './cloud-config.js';
import { MATRIX, needTool, runCli, tempDir, writeTemp } from './helpers.js';

const CRUN = 'runtime.handlers={"crun": {}}';
/** The combinations `crinit list` says take a crun handler. */
const WITH_CRUN = MATRIX.filter((r) => r.handlers.includes('crun')).map((r) => r.profile);


describe('runtime.handlers on containerd', () => {
  it('crinit list: crun on containerd wherever the distro packages it; no handler on CRI-O, Docker, MCR, Amazon Linux or the Ignition distros', () => {
    expect(WITH_CRUN.sort()).toEqual(['debian-12/containerd', 'debian-13/containerd', 'rhel-9/containerd', 'ubuntu-22.04/containerd', 'ubuntu-24.04/containerd']);
    expect(runCli(['list']).stdout).toMatch(/^debian-12\/containerd .* crun$/m);
  });

  for (const profile of WITH_CRUN) {
    it(`${profile}: crun installed from the distro (not held), configured, and checked on first boot`, (ctx) => {
      needTool(ctx, 'cloud-init');
      needTool(ctx, 'shellcheck');
      // With the Kubernetes packages where crinit installs them (not Debian 13: see crinit list).
      const k8s = MATRIX.find((x) => x.profile === profile)!.kubernetes.supported;
      const r = compile({ profile, set: [CRUN, ...(k8s ? ['kubernetes.version=1.36'] : [])] });
      expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
      const schema = spawnSync('cloud-init', ['schema', '-c', writeTemp(tempDir(), 'user-data', r.output!)], { encoding: 'utf8' });
      expect(schema.status, schema.stdout + schema.stderr).toBe(0);
      const d = parseYaml(r.output!, { version: '1.1' }) as CloudConfig;
      expect(stepArgv(d, 'install-packages')).toContain('crun');
      expect(stepArgv(d, 'hold-packages')).not.toContain('crun');
      // The check runs after containerd restarted, for each handler with its binary.
      const ids = d.runcmd.map((l) => l[1]);
      expect(ids.indexOf('restart-containerd')).toBeLessThan(ids.indexOf('check-runtime-handlers'));
      const check = stepArgv(d, 'check-runtime-handlers');
      expect(check.slice(-2)).toEqual(['crun', '/usr/bin/crun']);
      const sc = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${check[2]}\n`, encoding: 'utf8' });
      expect(sc.status, sc.stdout).toBe(0);
      // The kubelet labels the node for the handler; the RuntimeClass selects that label.
      if (!k8s) return;
      const defaults = d.write_files.find((f) => /\/(default|sysconfig)\/kubelet$/.test(f.path))!.content;
      expect(defaults).toMatch(/^KUBELET_EXTRA_ARGS=--config-dir=\/etc\/kubernetes\/kubelet\.conf\.d --node-labels=runtime\.crinit\.dev\/crun=true$/m);
    });
  }

  it('crinit runtimeclasses prints one RuntimeClass per handler, its handler the configured name, selecting the label the kubelet sets', () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'node.yaml', 'extends: ubuntu-24.04/containerd\nruntime:\n  handlers:\n    crun: {}\n    fast: {kind: crun}\nkubernetes:\n  version: "1.36"\n');
    const r = runCli(['runtimeclasses', file]);
    expect(r.status, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((x) => x.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(docs).toEqual(
      ['crun', 'fast'].map((name) => ({
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'crinit', 'runtime.crinit.dev/kind': 'crun' } },
        handler: name,
        scheduling: { nodeSelector: { [`runtime.crinit.dev/${name}`]: 'true' } },
      })),
    );
    // Each handler: is a table of the containerd config crinit writes for the same profile.
    const out = compile({ profile: { path: file, text: 'extends: ubuntu-24.04/containerd\nruntime:\n  handlers:\n    crun: {}\n    fast: {kind: crun}\n' } });
    const dropin = fileContent(parseYaml(out.output!, { version: '1.1' }) as CloudConfig, '/var/lib/crinit/staged/etc/containerd/conf.d/10-crinit-handlers.toml');
    for (const c of docs) expect(dropin).toContain(`containerd.runtimes.${c.handler as string}]`);
    // Without Kubernetes packages crinit sets no label, so the RuntimeClass selects none.
    const bare = runCli(['runtimeclasses', '--set', CRUN, 'debian-12/containerd']);
    expect(parseYaml(bare.stdout)).not.toHaveProperty('scheduling');
    const none = runCli(['runtimeclasses', 'debian-12/containerd']);
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('has no runtime.handlers');
  });

  it('refuses what is not built or not possible, at the handler, with the reason', () => {
    const at = (extendsName: string, handlers: string) => {
      const r = compile({ profile: { path: 'n.yaml', text: `extends: ${extendsName}\nruntime:\n  handlers:\n${handlers}` } });
      expect(r.output).toBeUndefined();
      return r.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ code: d.code, line: d.position?.line, col: d.position?.col, message: d.message, file: d.file }));
    };
    expect(at('ubuntu-24.04/containerd', '    sandboxed: {kind: runsc}\n')).toEqual([{ code: 'E-RULE-UNSUPPORTED', line: 4, col: 23, file: 'n.yaml', message: "crinit does not configure gVisor's runsc for containerd yet" }]);
    expect(at('ubuntu-24.04/containerd', '    kata: {}\n')[0]).toMatchObject({ line: 4, col: 11, message: 'crinit does not configure Kata Containers for containerd yet' });
    expect(at('amazonlinux-2023/containerd', '    crun: {}\n')[0]).toMatchObject({ line: 4, col: 11, message: 'crinit does not install crun on amazonlinux-2023' });
    expect(at('fcos/containerd', '    crun: {}\n')[0]).toMatchObject({ message: 'crinit does not install crun on fcos' });
    expect(at('ubuntu-24.04/docker', '    crun: {}\n')[0]).toMatchObject({ code: 'E-RULE-UNSUPPORTED', line: 4, col: 5, message: expect.stringContaining('creates the pod\'s containers without it') });
    expect(at('ubuntu-24.04/cri-o', '    crun: {}\n')[0]).toMatchObject({ line: 4, col: 5, message: expect.stringContaining("CRI-O takes no extra runtime handlers: crinit does not write CRI-O's") });
    expect(at('debian-12/containerd', '    runc: {}\n')[0]).toMatchObject({ code: 'E-RULE-CONFLICT', line: 4, col: 11 });
    expect(at('debian-12/containerd', '    mine: {}\n')[0]).toMatchObject({ code: 'E-RULE-INCOMPLETE', message: 'the handler mine names no kind' });
    expect(at('debian-12/containerd', '    a: {kind: crun, default: true}\n    b: {kind: crun, default: true}\n').map((d) => d.line)).toEqual([4, 5]);
    // A name a RuntimeClass cannot carry is refused by the schema.
    expect(at('debian-12/containerd', '    Crun_1: {}\n')[0]).toMatchObject({ line: 4, col: 5 });
  });

  it('a profile without handlers renders as before: no import, no drop-in, no check', () => {
    const d = doc('ubuntu-24.04/containerd');
    expect(fileContent(d, '/var/lib/crinit/staged/etc/containerd/config.toml')).not.toContain('imports');
    expect(d.write_files.some((f) => f.path.includes('conf.d/10-crinit-handlers'))).toBe(false);
    expect(d.runcmd.some((l) => l[1] === 'check-runtime-handlers')).toBe(false);
  });
});
