/**
 * Adversarial values in every user-controlled field: quotes, backslashes, newlines, ${}, $(…),
 * %{, non-ASCII, control characters. Each value must either be refused with an error that names
 * the field, or arrive exactly as given in the parsed output (TOML, YAML, sysctl, argv).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { readAsPyYaml } from '../dist/backends/cloud-init/pyyaml.js';
import { fileContent, parseModules, parseSysctl, readCloudConfig, type CloudConfig } from './cloud-config.js';
import { needPyYaml, pyYamlLoad } from './pyyaml.js';
import { nasty, spliced } from './fuzz.js';

const RUNS = 150;

/** Every accepted output, for a final check with PyYAML. */
const accepted: string[] = [];

function compileProfile(extra: Record<string, unknown>): ReturnType<typeof compile> {
  // JSON is YAML too, and unlike `yaml`'s stringify it writes every string back exactly
  // (stringify drops the spaces of a line that holds only spaces).
  const text = JSON.stringify({ extends: 'ubuntu-24.04/containerd', ...extra });
  return compile({ profile: { path: 'adversarial.yaml', text } });
}

function doc(output: string): CloudConfig {
  accepted.push(output);
  return readCloudConfig(output);
}

function expectRefused(r: ReturnType<typeof compile>, field: RegExp): void {
  expect(r.output).toBeUndefined();
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.some((e) => field.test(e.message)), errors.map((e) => e.message).join('\n')).toBe(true);
  for (const e of errors) expect(e.file).toBe('adversarial.yaml');
}

describe('adversarial values round-trip or are refused', () => {
  it('runtime.sandboxImage', () => {
    fc.assert(
      fc.property(fc.oneof(spliced('registry.k8s.io/pause:3.10.2'), nasty, fc.constant('reg.example.com:5000/a/b_c:v1.0@sha256:' + 'a'.repeat(64))), (image) => {
        const r = compileProfile({ runtime: { sandboxImage: image } });
        if (r.output === undefined) return expectRefused(r, /runtime\.sandboxImage/);
        const config = parseToml(fileContent(doc(r.output), '/var/lib/crinit/staged/etc/containerd/config.toml')) as any; // eslint-disable-line
        expect(config.plugins['io.containerd.cri.v1.images'].pinned_images.sandbox).toBe(image);
      }),
      { numRuns: RUNS },
    );
  });

  it('runtime.registryMirrors hosts and URLs', () => {
    fc.assert(
      fc.property(fc.oneof(spliced('docker.io'), nasty), fc.oneof(spliced('https://mirror.example.com/path'), nasty), (host, url) => {
        const r = compileProfile({ runtime: { registryMirrors: { [host]: [url] } } });
        if (r.output === undefined) return expectRefused(r, /runtime\.registryMirrors/);
        const hosts = parseToml(fileContent(doc(r.output), `/etc/containerd/certs.d/${host}/hosts.toml`)) as any; // eslint-disable-line
        expect(Object.keys(hosts.host)).toEqual([url]);
        // A refused URL is never echoed: it may hold credentials.
      }),
      { numRuns: RUNS },
    );
  });

  it('files: path, content, owner and mode', () => {
    fc.assert(
      fc.property(fc.oneof(spliced('/etc/example.conf'), nasty), fc.oneof(nasty, fc.string({ unit: 'binary' })), fc.oneof(fc.constant('root:root'), spliced('nobody:nogroup')), fc.oneof(fc.constant('0640'), spliced('0644')), (path, content, owner, mode) => {
        const r = compileProfile({ files: [{ path, content, owner, mode }] });
        if (r.output === undefined) return expectRefused(r, /files\[0\]/);
        const d = doc(r.output);
        expect(fileContent(d, path)).toBe(content);
        const entry = d.write_files.find((f) => f.path === path)!;
        expect(entry.owner).toBe(owner.includes(':') ? owner : `${owner}:${owner}`);
        expect(entry.permissions).toBe(mode.padStart(4, '0'));
      }),
      { numRuns: RUNS },
    );
  });

  it('commands: argv words and shell strings', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(nasty, fc.constantFrom('echo', 'systemctl')), { minLength: 1, maxLength: 4 }), nasty, (argv, script) => {
        const commands = script === '' ? [argv] : [argv, script];
        const r = compileProfile({ commands });
        if (r.output === undefined) return expectRefused(r, /commands\[[01]\]/);
        const d = doc(r.output);
        const first = d.runcmd.find((c) => c[1] === 'user-command-1')!;
        expect(first.slice(first.indexOf('--') + 1)).toEqual(argv);
        if (script !== '') {
          const second = d.runcmd.find((c) => c[1] === 'user-command-2')!;
          expect(second.slice(second.indexOf('--') + 1)).toEqual(['sh', '-c', script]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('kernel.sysctls names and values, kernel.modules names', () => {
    fc.assert(
      fc.property(fc.oneof(spliced('vm.max_map_count'), nasty), fc.oneof(spliced('262144'), nasty), fc.oneof(spliced('ip_vs'), nasty), (key, value, mod) => {
        const r = compileProfile({ kernel: { sysctls: { [key]: value }, modules: [mod] } });
        if (r.output === undefined) return expectRefused(r, /kernel\.(sysctls|modules)/);
        const d = doc(r.output);
        const sysctls = parseSysctl(fileContent(d, '/etc/sysctl.d/99-crinit-k8s.conf'));
        if (!(key in { 'net.bridge.bridge-nf-call-iptables': 1, 'net.bridge.bridge-nf-call-ip6tables': 1, 'net.ipv4.ip_forward': 1 })) expect(sysctls[key]).toBe(value);
        expect(parseModules(fileContent(d, '/etc/modules-load.d/crinit-k8s.conf'))).toContain(mod);
        // The first boot loads it now too (runcmd[0] begins the run).
        expect(d.runcmd.find((c) => c[1] === 'load-kernel-modules')).toContain(mod);
      }),
      { numRuns: RUNS },
    );
  });

  it('runtime.version', () => {
    fc.assert(
      fc.property(fc.oneof(spliced('2.3'), nasty), (version) => {
        const r = compileProfile({ runtime: { version } });
        if (r.output === undefined) return expectRefused(r, /runtime\.version|containerd/);
        const spec = doc(r.output).runcmd.find((c) => c[1] === 'install-packages')!.at(-1)!;
        expect(spec.startsWith(`containerd.io=${version}`)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('known YAML traps in commands and contents arrive exactly (fixed cases, also read by PyYAML below)', () => {
    const traps = [' \n', '\n', '  two\n lines ', 'a\n  \nb', '<<', '=', ':x', '- x', '? x', 'on', 'no', '0644', '1:20', '2001-12-14', '~', 'null', '!x', '&a', '*a', '%x', '@x', '`x', '#x', 'a #b', 'a: b', '[x]', '{x}', '"q"', "'q'", ' lead', 'trail ', '${x}', '%{x}', '$(id)'];
    const r = compileProfile({ commands: [traps, ...traps], files: traps.map((t, i) => ({ path: `/etc/trap-${i}`, content: t })) });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const d = doc(r.output!);
    const cmd = d.runcmd.find((c) => c[1] === 'user-command-1')!;
    expect(cmd.slice(cmd.indexOf('--') + 1)).toEqual(traps);
    traps.forEach((t, i) => expect(fileContent(d, `/etc/trap-${i}`)).toBe(t));
  });

  it('every accepted output reads the same in PyYAML, the parser cloud-init uses, in yaml and in the verify step\'s reader', (ctx) => {
    needPyYaml(ctx);
    expect(accepted.length).toBeGreaterThan(50);
    const back = pyYamlLoad(accepted);
    accepted.forEach((t, i) => {
      expect(back[i], t).toEqual(parseYaml(t, { version: '1.1' }));
      // The verify step's reader (js-yaml with PyYAML's types) reads it as PyYAML does.
      expect(readAsPyYaml(t), t).toEqual(back[i]);
    });
  });
});
