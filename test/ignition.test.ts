/**
 * The Ignition backend against the real tools of Debian's `ignition` package:
 *   - ignition-validate on every output (no errors, no warnings);
 *   - the real ignition binary, whose fetch-offline and files stages write each output into a
 *     scratch root; the files, units, drop-ins, masks, links and preset it wrote are then
 *     compared with the plan (contents byte for byte, modes);
 *   - version gating, snippets merged by Ignition's rules, and adversarial file contents.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, FIELD_SINCE, SPEC_VERSIONS, type CompileResult, type IgnConfig } from '../dist/index.js';
import { IGNITION_DISTROS, needTool, REQUIRE_TOOLS, runCli, tempDir, writeTemp } from './helpers.js';
import { applyIgnition, decodeDataUrl, IGNITION_BIN } from './ignition-config.js';

function needIgnitionBinary(ctx: { skip: (note?: string) => void }): void {
  if (existsSync(IGNITION_BIN)) return;
  const why = `${IGNITION_BIN} is missing (apt-get install ignition)`;
  if (REQUIRE_TOOLS) throw new Error(`CRINIT_REQUIRE_TOOLS=1 but ${why}`);
  process.stderr.write(`skipping: ${why}\n`);
  ctx.skip(why);
}

const VARIANTS: { name: string; set: string[] }[] = [
  { name: 'defaults', set: [] },
  { name: 'cgroupfs', set: ['runtime.cgroupDriver=cgroupfs'] },
  {
    name: 'mirrors, files and commands',
    set: [
      'runtime.registryMirrors={"docker.io": ["https://mirror.example.com"], "_default": ["https://all.example.com"]}',
      'runtime.sandboxImage=registry.example.com/k8s/pause:3.10.2',
      'files=[{"path": "/etc/motd", "content": "Managed by crinit\\n", "mode": "0640", "owner": "core:adm"}, {"path": "/etc/late.conf", "content": "x = 1\\n", "when": "after-packages"}]',
      'commands=[["systemctl", "enable", "--now", "fstrim.timer"], "echo \\"node $(hostname) is ready\\" > /etc/crinit-ready"]',
    ],
  },
];

function render(profile: string, set: string[] = []): CompileResult {
  const r = compile({ profile, set });
  expect(r.output, `${profile} ${set.join(' ')}: ${r.diagnostics.map((d) => d.message).join('; ')}`).toBeDefined();
  return r;
}

function validate(text: string): { status: number | null; out: string } {
  const file = writeTemp(tempDir(), 'config.ign', text);
  const r = spawnSync('ignition-validate', [file], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** applyWithIgnition writes a config into a fresh scratch root with the real ignition binary. */
function applyWithIgnition(text: string): string {
  const work = tempDir('crinit-ign-');
  const root = join(work, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  // The users and groups Fedora CoreOS and Flatcar images have, for files owned by them.
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:Core:/home/core:/bin/bash\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nadm:x:4:core\ncore:x:500:\n');
  applyIgnition(text, root, work);
  return root;
}

/** Every file and link under root, relative, except Ignition's own result and the SELinux stand-in. */
function tree(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...tree(root, rel));
    else out.push(rel);
  }
  return out.filter((p) => !['/etc/.ignition-result.json', '/etc/passwd', '/etc/group'].includes(p)).sort();
}

/** checkApplied compares what the real Ignition wrote with what the plan says. */
function checkApplied(r: CompileResult, root: string): void {
  const plan = r.plan!;
  const config = JSON.parse(r.output!) as IgnConfig;
  const expected = new Set<string>();
  for (const f of plan.files) {
    const path = f.dropin ? `/etc/systemd/system/${f.dropin.unit}.d/${f.dropin.name}` : f.path;
    expected.add(path);
    expect(readFileSync(join(root, path), 'utf8'), path).toBe(f.contents);
    if (!f.dropin) {
      const st = lstatSync(join(root, path));
      expect(st.mode & 0o7777, `${path} mode`).toBe(f.mode);
      expect([st.uid, st.gid], `${path} owner`).toEqual([f.owner === 'core' ? 500 : 0, { root: 0, adm: 4, core: 500 }[f.group]]);
    }
  }
  const bin = plan.target.distro.binDir;
  for (const s of ['crinit-step', 'crinit-firstboot']) {
    expected.add(`${bin}/${s}`);
    expect(lstatSync(join(root, bin, s)).mode & 0o777).toBe(0o755);
  }
  const units = config.systemd?.units ?? [];
  for (const u of units) {
    if (u.contents !== undefined) {
      expected.add(`/etc/systemd/system/${u.name}`);
      expect(readFileSync(join(root, 'etc/systemd/system', u.name), 'utf8')).toBe(u.contents);
    }
    if (u.mask) {
      expected.add(`/etc/systemd/system/${u.name}`);
      expect(readlinkSync(join(root, 'etc/systemd/system', u.name))).toBe('/dev/null');
    }
  }
  for (const m of plan.masks) expect(units.find((u) => u.name === m.unit)?.mask).toBe(true);
  for (const l of plan.links) {
    expected.add(l.path);
    expect(readlinkSync(join(root, l.path))).toBe(l.target);
  }
  // Enablement is a preset that systemd applies on first boot.
  expected.add('/etc/systemd/system-preset/20-ignition.preset');
  const preset = readFileSync(join(root, 'etc/systemd/system-preset/20-ignition.preset'), 'utf8').trim().split('\n').sort();
  const enabled = [...plan.services.filter((s) => s.enable).map((s) => s.unit), 'crinit-firstboot.service'];
  expect(preset).toEqual(enabled.map((u) => `enable ${u}`).sort());
  // Nothing else was written.
  expect(tree(root)).toEqual([...expected].sort());
}

describe('ignition-validate (Debian ignition 2.14)', () => {
  it('accepts every output of every distro and variant at spec 3.0.0 to 3.3.0, with no warnings', (ctx) => {
    needTool(ctx, 'ignition-validate', 'ignition');
    let n = 0;
    for (const d of IGNITION_DISTROS) {
      for (const v of VARIANTS) {
        for (const version of SPEC_VERSIONS.slice(0, 4)) {
          const r = render(`${d}/containerd`, [...v.set, `ignition.version=${version}`]);
          const res = validate(r.output!);
          expect(res.status, `${d} ${v.name} ${version}: ${res.out}`).toBe(0);
          expect(res.out, `${d} ${v.name} ${version}`).toBe('');
          n++;
        }
      }
    }
    expect(n).toBe(IGNITION_DISTROS.length * VARIANTS.length * 4);
  });

  it('3.4.0 and 3.5.0 outputs differ from 3.3.0 only in the version, so the 3.3.0 validation covers them', () => {
    // Debian's validator knows specs up to 3.3.0. crinit emits no field newer than 3.3.0, so a
    // 3.4.0 or 3.5.0 output is the 3.3.0 output with another version string.
    for (const d of IGNITION_DISTROS) {
      for (const v of VARIANTS) {
        const base = render(`${d}/containerd`, [...v.set, 'ignition.version=3.3.0']).output!;
        for (const version of ['3.4.0', '3.5.0']) {
          const out = render(`${d}/containerd`, [...v.set, `ignition.version=${version}`]).output!;
          expect(out).not.toBe(base);
          expect(out.replace(`"version":"${version}"`, '"version":"3.3.0"')).toBe(base);
        }
      }
    }
  });

  it('defaults to spec 3.3.0', () => {
    for (const d of IGNITION_DISTROS) expect((JSON.parse(render(`${d}/containerd`).output!) as IgnConfig).ignition.version).toBe('3.3.0');
  });

  it('FIELD_SINCE agrees with the real validator: a field is unknown to the version before its own', (ctx) => {
    needTool(ctx, 'ignition-validate', 'ignition');
    // The first segment of each field that is new in 3.1.0 to 3.3.0 (Debian's validator knows no more).
    const firstNew = new Map<string, string>();
    for (const [path, since] of Object.entries(FIELD_SINCE)) {
      const i = SPEC_VERSIONS.indexOf(since);
      if (i < 1 || i > 3) continue;
      const segs = path.split('.');
      const prefix = segs.findIndex((_, k) => FIELD_SINCE[segs.slice(0, k + 1).join('.').replace(/\[\]$/, '')] === since);
      firstNew.set(segs.slice(0, prefix + 1).join('.'), since);
    }
    expect(firstNew.size).toBeGreaterThan(5);
    for (const [path, since] of firstNew) {
      const before = SPEC_VERSIONS[SPEC_VERSIONS.indexOf(since as never) - 1]!;
      const build = (version: string): string => {
        // Build the smallest config that holds the field, e.g. storage.files[].contents.httpHeaders.
        const config: Record<string, unknown> = { ignition: { version } };
        let node: Record<string, unknown> = config;
        const segs = path.split('.');
        segs.forEach((seg, k) => {
          const list = seg.endsWith('[]');
          const key = seg.replace('[]', '');
          if (k === segs.length - 1) {
            node[key] = list ? [] : {};
            return;
          }
          const child: Record<string, unknown> = key === 'files' ? { path: '/etc/x' } : key === 'units' ? { name: 'x.service' } : {};
          const existing = node[key] as Record<string, unknown> | undefined;
          const next = existing ?? child;
          node[key] = list ? [next] : next;
          node = next;
        });
        return JSON.stringify(config);
      };
      const leaf = path.split('.').pop()!.replace('[]', '');
      expect(validate(build(before)).out, `${path} at ${before}`).toMatch(new RegExp(`Unused key ${leaf}\\b`));
      expect(validate(build(since)).out, `${path} at ${since}`).not.toMatch(new RegExp(`Unused key ${leaf}\\b`));
    }
  });
});

describe('the real ignition binary (files stage)', () => {
  it('writes exactly the files, units, drop-ins, masks, links and preset the plan says', (ctx) => {
    needIgnitionBinary(ctx);
    for (const d of IGNITION_DISTROS) {
      for (const v of VARIANTS) {
        const r = render(`${d}/containerd`, v.set);
        checkApplied(r, applyWithIgnition(r.output!));
      }
    }
  });

  it('writes adversarial file contents byte for byte', (ctx) => {
    needIgnitionBinary(ctx);
    const content = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom('${VAR:-x} %{ if } $${x}\n', '%00%2F%%\n', 'data:,x,y;base64\n', '\u0085\u2028\r\n\t \n', 'a'.repeat(3000)),
    );
    fc.assert(
      fc.property(fc.array(content, { minLength: 1, maxLength: 6 }), fc.constantFrom(...IGNITION_DISTROS), (contents, d) => {
        const files = contents.map((c, i) => ({ path: `/etc/adv/f${i}`, content: c, mode: '0600' }));
        const r = render(`${d}/containerd`, [`files=${JSON.stringify(files)}`]);
        checkApplied(r, applyWithIgnition(r.output!));
      }),
      { numRuns: 20 },
    );
  });
});

describe('version gating', () => {
  const snippetProfile = (dir: string, snippet: unknown, version?: string): string => {
    writeTemp(dir, 'extra.ign', JSON.stringify(snippet));
    return writeTemp(dir, 'node.yaml', `extends: fcos/containerd\nignition:\n${version ? `  version: "${version}"\n` : ''}  snippets:\n    - extra.ign\n`);
  };

  const cases: { name: string; snippet: (v: string) => unknown; at: string; needs: string }[] = [
    { name: 'a sha256 hash', at: '3.0.0', needs: '3.1.0', snippet: (v) => ({ ignition: { version: v }, storage: { files: [{ path: '/etc/x', contents: { source: 'https://example.com/x', verification: { hash: `sha256-${'a'.repeat(64)}` } } }] } }) },
    { name: 'ignition.proxy', at: '3.0.0', needs: '3.1.0', snippet: (v) => ({ ignition: { version: v, proxy: { httpProxy: 'http://proxy:3128' } } }) },
    { name: 'passwd.users[].shouldExist', at: '3.1.0', needs: '3.2.0', snippet: (v) => ({ ignition: { version: v }, passwd: { users: [{ name: 'old', shouldExist: false }] } }) },
    { name: 'a gs:// URL', at: '3.1.0', needs: '3.2.0', snippet: (v) => ({ ignition: { version: v }, storage: { files: [{ path: '/etc/x', contents: { source: 'gs://bucket/x' } }] } }) },
    { name: 'kernelArguments', at: '3.2.0', needs: '3.3.0', snippet: (v) => ({ ignition: { version: v }, kernelArguments: { shouldExist: ['mitigations=auto'] } }) },
    { name: 'luks[].discard', at: '3.3.0', needs: '3.4.0', snippet: (v) => ({ ignition: { version: v }, storage: { luks: [{ name: 'data', device: '/dev/vdb', discard: true }] } }) },
    { name: 'luks[].cex', at: '3.4.0', needs: '3.5.0', snippet: (v) => ({ ignition: { version: v }, storage: { luks: [{ name: 'data', device: '/dev/vdb', cex: { enabled: true } }] } }) },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} at ${c.at} and accepts it at ${c.needs}`, () => {
      const dir = tempDir();
      const refused = runCli(['render', snippetProfile(dir, c.snippet(c.at), c.at)]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/node\.yaml:5:7: error E-IGNITION-SNIPPET/);
      expect(refused.stderr).toContain(`needs Ignition spec ${c.needs}`);
      expect(refused.stderr).toContain(`ignition.version: "${c.needs}"`);
      const dir2 = tempDir();
      const ok = runCli(['render', snippetProfile(dir2, c.snippet(c.at), c.needs)]);
      expect(ok.status, ok.stderr).toBe(0);
      expect((JSON.parse(ok.stdout) as IgnConfig).ignition.version).toBe(c.needs);
    });
  }

  it('refuses a field no version has, a snippet newer than the output, and setuid bits', () => {
    const dir = tempDir();
    const typo = runCli(['render', snippetProfile(dir, { ignition: { version: '3.3.0' }, storage: { filez: [] } })]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('storage.filez is not a field of any Ignition 3.x spec');
    const newer = runCli(['render', snippetProfile(tempDir(), { ignition: { version: '3.4.0' } })]);
    expect(newer.status).toBe(1);
    expect(newer.stderr).toContain('its spec 3.4.0 is newer than the output\'s 3.3.0');
    const setuid = runCli(['render', writeTemp(tempDir(), 'n.yaml', 'extends: flatcar/containerd\nfiles:\n  - path: /opt/bin/x\n    content: "x"\n    mode: "4755"\n')]);
    expect(setuid.status).toBe(1);
    expect(setuid.stderr).toMatch(/n\.yaml:5:11: error E-BACKEND-CAPABILITY: mode 4755 sets setuid/);
  });

  it('refuses a snippet data: URL that does not decode, at the snippet line, also under --offline; a good one renders', () => {
    for (const [source, why] of [
      ['data:,a%zzb', 'a bad %-escape'],
      ['data:;base64,@@@', 'not standard base64'],
      ['data:text/plain', 'no comma after the media type'],
    ] as const) {
      const dir = tempDir();
      const profile = snippetProfile(dir, { ignition: { version: '3.3.0' }, storage: { files: [{ path: '/etc/x', contents: { source } }] } });
      for (const extra of [[], ['--offline']]) {
        const r = runCli(['render', profile, ...extra]);
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toContain(`node.yaml:4:7: error E-IGNITION-SNIPPET: Ignition snippet extra.ign: storage.files[0].contents.source holds a data: URL that does not decode (${why})`);
        expect(r.stderr).not.toContain('E-INTERNAL');
      }
    }
    const good = runCli(['render', snippetProfile(tempDir(), { ignition: { version: '3.3.0' }, storage: { files: [{ path: '/etc/x', contents: { source: 'data:;base64,aGk=' } }] } })]);
    expect(good.status, good.stderr).toBe(0);
  });

  it('refuses Ignition options on cloud-init distros at their line:col', () => {
    const r = runCli(['render', writeTemp(tempDir(), 'n.yaml', 'extends: ubuntu-24.04/containerd\nignition:\n  version: "3.3.0"\n')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/n\.yaml:3:12: error E-BACKEND-CAPABILITY: the cloud-init backend cannot render ignition\.version/);
  });
});

describe('snippets', () => {
  it('merge by key, win over crinit, and report each override with both origins', (ctx) => {
    const dir = tempDir();
    const snippet = {
      ignition: { version: '3.2.0' },
      passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample core@example'] }] },
      storage: {
        files: [{ path: '/etc/crictl.yaml', overwrite: true, contents: { source: 'data:,runtime-endpoint%3A%20unix%3A%2F%2F%2Frun%2Fcontainerd%2Fcontainerd.sock%0A' } }],
        links: [{ path: '/etc/localtime', target: '/usr/share/zoneinfo/UTC' }],
      },
      systemd: { units: [{ name: 'containerd.service', dropins: [{ name: '20-limits.conf', contents: '[Service]\nLimitNOFILE=1048576\n' }] }] },
    };
    writeTemp(dir, 'extra.ign', JSON.stringify(snippet));
    const profile = writeTemp(dir, 'node.yaml', 'extends: flatcar/containerd\nignition:\n  snippets: [extra.ign]\n');
    const r = runCli(['render', profile]);
    expect(r.status, r.stderr).toBe(0);
    const config = JSON.parse(r.stdout) as IgnConfig;
    expect(config.ignition.version).toBe('3.3.0');
    expect(config.passwd?.users).toEqual(snippet.passwd.users);
    const crictl = config.storage!.files!.filter((f) => f.path === '/etc/crictl.yaml');
    expect(crictl).toHaveLength(1);
    // The snippet's source replaces crinit's, and crinit's gzip does not apply to it.
    expect(crictl[0]!.contents).toEqual(snippet.storage.files[0]!.contents);
    expect(config.storage!.links).toContainEqual(snippet.storage.links[0]);
    const containerd = config.systemd!.units!.find((u) => u.name === 'containerd.service')!;
    expect(containerd.dropins!.map((d) => d.name)).toEqual(['10-crinit-config.conf', '20-limits.conf']);
    // Warnings: the snippet (line:col of its entry) and crinit's origin of the replaced entry.
    expect(r.stderr).toMatch(/node\.yaml:3:14: warning W-IGNITION-OVERRIDE: Ignition snippet extra\.ign overrides crinit's storage\.files entry \/etc\/crictl\.yaml \(from profiles\/runtimes\/containerd\.yaml at \/containerd\/crictlConfigPath\)/);
    // Adding a drop-in to crinit's unit overrides nothing; replacing crinit's drop-in does.
    expect(r.stderr).not.toMatch(/systemd\.units entry containerd\.service/);
    expect(r.stderr.match(/W-IGNITION-OVERRIDE/g)).toHaveLength(1);
    needTool(ctx, 'ignition-validate', 'ignition');
    const v = validate(r.stdout);
    expect(v.status, v.out).toBe(0);
    expect(v.out).toBe('');
  });

  it('a snippet link replaces crinit\'s file at the same path (one key space), and a missing snippet is an error', () => {
    const dir = tempDir();
    writeTemp(dir, 'extra.ign', JSON.stringify({ ignition: { version: '3.0.0' }, storage: { links: [{ path: '/etc/crictl.yaml', target: '/etc/other.yaml' }] } }));
    const r = runCli(['render', writeTemp(dir, 'node.yaml', 'extends: fcos/containerd\nignition:\n  snippets: [extra.ign]\n')]);
    expect(r.status, r.stderr).toBe(0);
    const config = JSON.parse(r.stdout) as IgnConfig;
    expect(config.storage!.files!.some((f) => f.path === '/etc/crictl.yaml')).toBe(false);
    expect(config.storage!.links).toContainEqual({ path: '/etc/crictl.yaml', target: '/etc/other.yaml' });
    const missing = runCli(['render', writeTemp(dir, 'n2.yaml', 'extends: fcos/containerd\nignition:\n  snippets: [nope.ign]\n')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/n2\.yaml:3:14: error E-LOAD-NOT-FOUND: cannot read the Ignition snippet .*nope\.ign/);
  });
});

/** The text of a file in an Ignition config, decoded here. */
function fileText(config: IgnConfig, path: string): string {
  const f = config.storage!.files!.find((x) => x.path === path)!;
  return decodeDataUrl(f.contents!.source!, f.contents!.compression);
}

describe('crinit-firstboot', () => {
  it('passes shellcheck, with crinit-step, on every distro and variant', (ctx) => {
    needTool(ctx, 'shellcheck');
    for (const d of IGNITION_DISTROS) {
      for (const v of VARIANTS) {
        const config = JSON.parse(render(`${d}/containerd`, v.set).output!) as IgnConfig;
        const bin = d === 'flatcar' ? '/opt/bin' : '/usr/local/sbin';
        for (const s of ['crinit-firstboot', 'crinit-step']) {
          const file = writeTemp(tempDir(), s, fileText(config, `${bin}/${s}`));
          const r = spawnSync('shellcheck', ['-s', 'sh', file], { encoding: 'utf8' });
          expect(r.status, `${d} ${v.name} ${s}: ${r.stdout}`).toBe(0);
        }
      }
    }
    // The layering and reboot on Fedora CoreOS, Docker's and Flatcar's sysext profiles, and each
    // `sh -c` step script inside them (the gpg key check, the swap step).
    const more: [string, string, string[]][] = [
      ['fcos', 'fcos/cri-o', ['kubernetes.version=1.36']],
      ['fcos', 'fcos/docker', []],
      ['flatcar', 'flatcar/cri-o', ['runtime.version=1.36.1', `crio.sysext={"sha256": {"amd64": "${'cd'.repeat(32)}"}}`, `kubernetes={"version": "1.36.1", "sysext": {"sha256": {"amd64": "${'ab'.repeat(32)}"}}}`]],
    ];
    for (const [d, profile, set] of more) {
      const config = JSON.parse(render(profile, set).output!) as IgnConfig;
      const bin = d === 'flatcar' ? '/opt/bin' : '/usr/local/sbin';
      const firstboot = fileText(config, `${bin}/crinit-firstboot`);
      const r = spawnSync('shellcheck', ['-s', 'sh', writeTemp(tempDir(), 'crinit-firstboot', firstboot)], { encoding: 'utf8' });
      expect(r.status, `${profile} crinit-firstboot: ${r.stdout}`).toBe(0);
      const scripts = [...firstboot.matchAll(/'sh' '-c' '((?:[^']|'\\'')*)'/g)];
      // fcos/cri-o: the swap step and the two key checks.
      if (profile === 'fcos/cri-o') expect(scripts.length).toBe(3);
      for (const m of scripts) {
        const inner = m[1]!.replaceAll("'\\''", "'");
        const c = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${inner}\n`, encoding: 'utf8' });
        expect(c.status, `${profile} sh -c: ${c.stdout}`).toBe(0);
      }
    }
  });

  it('runs each command with exactly the argv given, in order, then --finish', () => {
    const word = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom("'", '"', '\\', '$(id)', '`id`', '${HOME}', '%{x}', '\n', ' ', '-', '--', '*', '~', '#'),
    );
    fc.assert(
      fc.property(fc.array(fc.array(word, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }), (commands) => {
        const usable = commands.map((c) => c.map((w) => w.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')));
        const r = compile({ profile: { path: 'n.yaml', text: JSON.stringify({ extends: 'flatcar/containerd', commands: usable }) } });
        if (r.output === undefined) return; // refused (e.g. an empty argv word list), with an error
        const script = fileText(JSON.parse(r.output) as IgnConfig, '/opt/bin/crinit-firstboot');
        // A stand-in crinit-step that records its argv, one JSON array per call.
        const dir = tempDir();
        const log = join(dir, 'calls');
        // It answers --completed with "not yet", so that the run goes ahead.
        const stub = writeTemp(dir, 'crinit-step', `#!/usr/bin/env node\nrequire('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\nprocess.exitCode = process.argv[2] === '--completed' ? 1 : 0;\n`);
        chmodSync(stub, 0o755);
        const run = spawnSync('sh', ['-c', script.split("'/opt/bin/crinit-step'").join(`'${stub}'`)], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        const all = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
        // The run is checked, then begun, under this config's run id.
        expect(all[0]![0]).toBe('--completed');
        expect(all[1]).toEqual(['--begin', 'n.yaml', all[0]![1]]);
        const calls = all.slice(2);
        expect(calls[0]!.slice(0, 1)).toEqual(['wait-for-containerd-socket']);
        const user = calls.slice(1, -1);
        expect(user.map((c) => c.slice(c.indexOf('--') + 1))).toEqual(usable);
        expect(calls.at(-1)).toEqual(['--finish', 'n.yaml']);
      }),
      { numRuns: 60 },
    );
  });
});
