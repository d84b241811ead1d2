/**
 * The real consumers read every config crinit writes:
 *   - every containerd config.toml goes through `containerd config dump` of Debian's own builds:
 *     1.6 (bookworm), 1.7 (trixie) and 2.x (sid); a version 2 file through all three (2.x
 *     migrates it), a version 3 file through 2.x. The dump must show SystemdCgroup, the sandbox
 *     image and the CRI plugin enabled, as planned;
 *   - every daemon.json goes through `dockerd --validate` (trixie's docker.io 26);
 *   - every unit and drop-in goes through `systemd-analyze verify`, against the packages' own
 *     units where Debian has them (containerd, docker) and with nothing it reports.
 * The binaries come unpacked from Debian's .debs by scripts/fetch-consumers.sh (.ci/run runs it).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { DISTROS, IGNITION_DISTROS, needTool, REQUIRE_TOOLS, systemdSplit, tempDir } from './helpers.js';
import { decodeDataUrl } from './ignition-config.js';

const CONSUMERS = process.env.CRINIT_CONSUMERS ?? '/var/cache/crinit-consumers';
const CONTAINERD = { '1.6': 'containerd-bookworm', '1.7': 'containerd-trixie', '2.x': 'containerd-sid' } as const;

/** needConsumers skips (or under CRINIT_REQUIRE_TOOLS=1 fails) when the unpacked binaries are missing. */
function needConsumers(ctx: { skip: (note?: string) => void }, ...names: string[]): void {
  const missing = names.filter((n) => !existsSync(join(CONSUMERS, n, '.ready')));
  if (missing.length === 0) return;
  const why = `${missing.join(', ')} not unpacked in ${CONSUMERS} (run scripts/fetch-consumers.sh)`;
  if (REQUIRE_TOOLS) throw new Error(`CRINIT_REQUIRE_TOOLS=1 but ${why}`);
  process.stderr.write(`skipping: ${why}\n`);
  ctx.skip(why);
}

interface Written {
  readonly path: string;
  readonly contents: string;
  readonly mode?: number;
}

/** Every file an output puts on the node, read back as the backend writes it; units separately. */
function written(output: string): { files: Written[]; units: { name: string; contents?: string; dropins: Written[] }[] } {
  if (output.startsWith('#cloud-config')) {
    const doc = parseYaml(output, { version: '1.1' }) as { write_files: { path: string; content: string; encoding?: string; permissions?: string }[] };
    const files = doc.write_files.map((f) => ({
      // cloud-init's default when an entry names no permissions.
      mode: parseInt(f.permissions ?? '0644', 8),
      // Files staged until their package is in are read where they finally land.
      path: f.path.replace(/^\/var\/lib\/crinit\/staged/, ''),
      contents: f.encoding === 'b64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content,
    }));
    const units = new Map<string, { name: string; contents?: string; dropins: Written[] }>();
    for (const f of files) {
      const m = /^\/etc\/systemd\/system\/([^/]+\.(?:service|socket))(?:\.d\/([^/]+\.conf))?$/.exec(f.path);
      if (!m) continue;
      const u = units.get(m[1]!) ?? { name: m[1]!, dropins: [] };
      if (m[2]) u.dropins.push({ path: m[2], contents: f.contents });
      else u.contents = f.contents;
      units.set(m[1]!, u);
    }
    return { files, units: [...units.values()] };
  }
  const ign = JSON.parse(output) as {
    storage?: { files?: { path: string; mode?: number; contents?: { source?: string; compression?: string } }[] };
    systemd?: { units?: { name: string; contents?: string; dropins?: { name: string; contents?: string }[] }[] };
  };
  const files = (ign.storage?.files ?? [])
    .filter((f) => f.contents?.source?.startsWith('data:'))
    .map((f) => ({ path: f.path, mode: f.mode ?? 0o644, contents: decodeDataUrl(f.contents!.source!, f.contents!.compression) }));
  const units = (ign.systemd?.units ?? []).map((u) => ({
    name: u.name,
    ...(u.contents !== undefined ? { contents: u.contents } : {}),
    dropins: (u.dropins ?? []).filter((d) => d.contents !== undefined).map((d) => ({ path: d.name, contents: d.contents! })),
  }));
  return { files, units };
}

const VARIANTS = [[], ['runtime.cgroupDriver=cgroupfs'], ['runtime.registryMirrors={"docker.io": ["https://mirror.example.com"]}', 'runtime.sandboxImage=registry.example.com/pause:3.10-x']];
const PROXY = ['proxy={"https": "http://proxy.example.com:3128", "noProxy": [".corp"]}', 'kubernetes.controlPlaneEndpoint=api.corp:6443'];

/** Every output with a containerd config, its plan facts, and the labels for messages. */
function containerdOutputs(): { label: string; config: string; systemd: boolean; sandbox: string; certsDir?: string }[] {
  const out: { label: string; config: string; systemd: boolean; sandbox: string; certsDir?: string }[] = [];
  for (const d of [...DISTROS, ...IGNITION_DISTROS]) {
    for (const source of ['', 'runtime.source=distro']) {
      for (const v of VARIANTS) {
        const set = [...(source ? [source] : []), ...v];
        // A builtin runtime keeps the driver the image's unit passes; Flatcar and FCOS take systemd.
        if (IGNITION_DISTROS.includes(d as (typeof IGNITION_DISTROS)[number]) && set.includes('runtime.cgroupDriver=cgroupfs')) continue;
        const r = compile({ profile: `${d}/containerd`, set });
        if (!r.output) continue; // a source this distro does not have
        const cfg = written(r.output).files.find((f) => f.path === '/etc/containerd/config.toml');
        expect(cfg, `${d} ${set.join(' ')}`).toBeDefined();
        out.push({
          label: `${d}/containerd ${set.join(' ')}`.trim(),
          config: cfg!.contents,
          systemd: !set.includes('runtime.cgroupDriver=cgroupfs'),
          sandbox: set.find((s) => s.startsWith('runtime.sandboxImage='))?.split('=')[1] ?? 'registry.k8s.io/pause:3.10.2',
          certsDir: '/etc/containerd/certs.d',
        });
      }
    }
  }
  return out;
}

/** What a dump says, wherever the config version puts it. */
function readDump(dump: Record<string, any>): { systemdCgroup: unknown; sandbox: unknown; disabled: string[]; configPath: unknown } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const p = dump.plugins ?? {};
  if (dump.version === 3) {
    return {
      systemdCgroup: p['io.containerd.cri.v1.runtime']?.containerd?.runtimes?.runc?.options?.SystemdCgroup,
      sandbox: p['io.containerd.cri.v1.images']?.pinned_images?.sandbox,
      disabled: dump.disabled_plugins ?? [],
      configPath: p['io.containerd.cri.v1.images']?.registry?.config_path,
    };
  }
  const cri = p['io.containerd.grpc.v1.cri'] ?? {};
  return { systemdCgroup: cri.containerd?.runtimes?.runc?.options?.SystemdCgroup, sandbox: cri.sandbox_image, disabled: dump.disabled_plugins ?? [], configPath: cri.registry?.config_path };
}

describe('containerd config dump (Debian containerd 1.6, 1.7 and 2.x)', () => {
  it('shows SystemdCgroup, the sandbox image and the CRI plugin enabled, as planned, for every config.toml', (ctx) => {
    needConsumers(ctx, ...Object.values(CONTAINERD));
    const dir = tempDir('crinit-dump-');
    const outputs = containerdOutputs();
    expect(outputs.length).toBeGreaterThan(30);
    let dumps = 0;
    for (const [i, o] of outputs.entries()) {
      const file = join(dir, `config-${i}.toml`);
      writeFileSync(file, o.config);
      const version = (parseToml(o.config) as { version?: number }).version;
      expect([2, 3], o.label).toContain(version);
      // containerd 1.x reads version 2 only; 2.x reads both (it migrates 2 to 3).
      const readers: (keyof typeof CONTAINERD)[] = version === 3 ? ['2.x'] : ['1.6', '1.7', '2.x'];
      for (const reader of readers) {
        const bin = join(CONSUMERS, CONTAINERD[reader], 'usr/bin/containerd');
        const r = spawnSync(bin, ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
        expect(r.status, `${o.label} with containerd ${reader}: ${r.stderr}`).toBe(0);
        const got = readDump(parseToml(r.stdout) as Record<string, unknown>);
        expect(got.disabled, `${o.label} (${reader})`).not.toContain('cri');
        expect(got.disabled, `${o.label} (${reader})`).not.toContain('io.containerd.grpc.v1.cri');
        expect(got.systemdCgroup, `${o.label} (${reader}) SystemdCgroup`).toBe(o.systemd);
        expect(got.sandbox, `${o.label} (${reader}) sandbox image`).toBe(o.sandbox);
        expect(got.configPath, `${o.label} (${reader}) certs.d`).toBe(o.certsDir);
        dumps++;
      }
    }
    process.stdout.write(`containerd config dump: ${outputs.length} configs, ${dumps} dumps\n`);
  });

  it('would catch a config that disables CRI or drops SystemdCgroup (the dump is really read)', (ctx) => {
    needConsumers(ctx, CONTAINERD['1.7']);
    const o = containerdOutputs().find((x) => x.label === 'debian-13/containerd runtime.source=distro')!;
    const dir = tempDir('crinit-dump-');
    const dump = (text: string) => {
      const file = join(dir, 'bad.toml');
      writeFileSync(file, text);
      const r = spawnSync(join(CONSUMERS, CONTAINERD['1.7'], 'usr/bin/containerd'), ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return readDump(parseToml(r.stdout) as Record<string, unknown>);
    };
    // A disabled CRI plugin: listed, and its settings are not even dumped.
    const off = dump(o.config.replace('disabled_plugins = []', 'disabled_plugins = ["io.containerd.grpc.v1.cri"]'));
    expect(off.disabled).toContain('io.containerd.grpc.v1.cri');
    expect(off.systemdCgroup).toBeUndefined();
    expect(dump(o.config.replace(/SystemdCgroup = true/, 'SystemdCgroup = false')).systemdCgroup).toBe(false);
  });
});

/**
 * The config.toml and handler drop-in of a rendered output, written to a directory of their own
 * (only the drop-in directory moves, to that directory), and each reader's `config dump` of them.
 */
function dumpHandlerConfigs(files: readonly { path: string; contents: string }[], readers: readonly (keyof typeof CONTAINERD)[], label: string): { reader: string; dump: Record<string, any> }[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const dir = tempDir('crinit-handlers-');
  const config = files.find((f) => f.path === '/etc/containerd/config.toml')!.contents;
  const dropin = files.find((f) => f.path === '/etc/containerd/conf.d/10-crinit-handlers.toml');
  if (dropin) {
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', '10-crinit-handlers.toml'), dropin.contents);
  }
  writeFileSync(join(dir, 'config.toml'), config.replace('"/etc/containerd/conf.d/*.toml"', JSON.stringify(join(dir, 'conf.d', '*.toml'))));
  return readers.map((reader) => {
    const bin = join(CONSUMERS, CONTAINERD[reader], 'usr/bin/containerd');
    const out = spawnSync(bin, ['--config', join(dir, 'config.toml'), 'config', 'dump'], { encoding: 'utf8' });
    expect(out.status, `${label} with containerd ${reader}: ${out.stderr}`).toBe(0);
    return { reader, dump: parseToml(out.stdout) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  });
}

describe('runtime handlers through containerd config dump (Debian containerd 1.6, 1.7 and 2.x)', () => {
  /** The handler tables of a dump, wherever its version puts them. */
  const runtimesOf = (dump: Record<string, any>): Record<string, { runtime_type?: string; runtime_path?: string; options?: Record<string, unknown> }> => // eslint-disable-line @typescript-eslint/no-explicit-any
    (dump.version === 3 ? dump.plugins?.['io.containerd.cri.v1.runtime']?.containerd?.runtimes : dump.plugins?.['io.containerd.grpc.v1.cri']?.containerd?.runtimes) ?? {};
  const defaultOf = (dump: Record<string, any>): unknown => // eslint-disable-line @typescript-eslint/no-explicit-any
    dump.version === 3 ? dump.plugins?.['io.containerd.cri.v1.runtime']?.containerd?.default_runtime_name : dump.plugins?.['io.containerd.grpc.v1.cri']?.containerd?.default_runtime_name;

  it('shows each handler with its type and binary, runc with its settings kept, and the sandbox image kept, on config v2 and v3 (a drop-in)', (ctx) => {
    needConsumers(ctx, ...Object.values(CONTAINERD));
    const cases = [
      { profile: 'debian-12/containerd', set: ['runtime.source=distro'], readers: ['1.6', '1.7', '2.x'] as const },
      { profile: 'debian-13/containerd', set: ['runtime.source=distro'], readers: ['1.7', '2.x'] as const },
      { profile: 'ubuntu-24.04/containerd', set: [], readers: ['2.x'] as const },
    ];
    let dumps = 0;
    for (const c of cases) {
      for (const driver of ['systemd', 'cgroupfs']) {
        for (const dflt of [false, true]) {
          // gVisor's runsc too, downloaded (its sums made up: only the config is read here).
          const runsc = { kind: 'runsc', version: '20261012.0', sha512: { amd64: { runsc: 'a'.repeat(128), 'containerd-shim-runsc-v1': 'b'.repeat(128) } } };
          // And Kata, unpacked from its release archive (its sum made up too).
          const kata = { kind: 'kata', version: '4.1.0', sha256: { amd64: 'c'.repeat(64) } };
          const handlers = JSON.stringify({ crun: { default: dflt }, 'crun-b': { kind: 'crun' }, gvisor: runsc, 'kata-vm': kata });
          const set = [...c.set, `runtime.cgroupDriver=${driver}`, `runtime.handlers=${handlers}`];
          const label = `${c.profile} ${set.join(' ')}`;
          const r = compile({ profile: c.profile, set });
          expect(r.output, `${label}: ${r.diagnostics.map((d) => d.message).join('; ')}`).toBeDefined();
          const files = written(r.output!).files;
          const config = files.find((f) => f.path === '/etc/containerd/config.toml')!.contents;
          // runsc's own options: systemd-cgroup exactly when containerd passes systemd slices.
          const runscToml = parseToml(files.find((f) => f.path === '/etc/containerd/runsc.toml')!.contents) as { runsc_config: Record<string, string> };
          expect(runscToml.runsc_config, label).toEqual(driver === 'systemd' ? { 'systemd-cgroup': 'true' } : {});
          const dropin = files.find((f) => f.path === '/etc/containerd/conf.d/10-crinit-handlers.toml');
          const version = (parseToml(config) as { version: number }).version;
          // containerd 2.x takes the handlers from crinit's drop-in; 1.x configs carry them.
          expect(dropin !== undefined, label).toBe(version === 3);
          for (const { reader, dump } of dumpHandlerConfigs(files, c.readers, label)) {
            const runtimes = runtimesOf(dump);
            for (const name of ['crun', 'crun-b']) {
              expect(runtimes[name]?.runtime_type, `${label} (${reader}) ${name}`).toBe('io.containerd.runc.v2');
              expect(runtimes[name]?.options, `${label} (${reader}) ${name}`).toMatchObject({ BinaryName: '/usr/bin/crun', SystemdCgroup: driver === 'systemd' });
            }
            expect(runtimes.gvisor?.runtime_type, `${label} (${reader}) gvisor`).toBe('io.containerd.runsc.v1');
            expect(runtimes.gvisor?.options, `${label} (${reader}) gvisor`).toEqual({ TypeUrl: 'io.containerd.runsc.v1.options', ConfigPath: '/etc/containerd/runsc.toml' });
            // Kata's shim by its path, privileged pods without host devices, Kata's annotations.
            expect(runtimes['kata-vm'], `${label} (${reader}) kata`).toMatchObject({
              runtime_type: 'io.containerd.kata.v2',
              runtime_path: '/opt/kata/runtime-rs/bin/containerd-shim-kata-v2',
              privileged_without_host_devices: true,
              pod_annotations: ['io.katacontainers.*'],
            });
            expect(runtimes.runc?.options?.SystemdCgroup, `${label} (${reader}) runc`).toBe(driver === 'systemd');
            expect(readDump(dump).sandbox, `${label} (${reader}) sandbox image`).toBe('registry.k8s.io/pause:3.10.2');
            expect(defaultOf(dump), `${label} (${reader}) default`).toBe(dflt ? 'crun' : 'runc');
            dumps++;
          }
        }
      }
    }
    process.stdout.write(`runtime handlers: ${dumps} dumps\n`);
  });

  it('shows the nvidia handler (runc v2 with NVIDIA\'s runtime as its binary) and, with cdi: true, CDI on with its spec directories', (ctx) => {
    needConsumers(ctx, ...Object.values(CONTAINERD));
    const cases = [
      // containerd 1.6 has no CDI: the handler alone.
      { profile: 'debian-12/containerd', set: ['runtime.source=distro'], cdi: false, readers: ['1.6', '1.7', '2.x'] as const },
      // containerd.io 1.7 (config version 2): CDI off unless asked.
      { profile: 'ubuntu-24.04/containerd', set: ['runtime.version=1.7'], cdi: true, readers: ['1.7', '2.x'] as const },
      { profile: 'ubuntu-24.04/containerd', set: ['runtime.version=1.7'], cdi: false, readers: ['1.7'] as const },
      { profile: 'ubuntu-24.04/containerd', set: [], cdi: true, readers: ['2.x'] as const },
    ];
    let dumps = 0;
    for (const c of cases) {
      for (const driver of ['systemd', 'cgroupfs']) {
        const set = [...c.set, `runtime.cgroupDriver=${driver}`, `runtime.handlers=${JSON.stringify({ nvidia: c.cdi ? { cdi: true } : {} })}`];
        const label = `${c.profile} ${set.join(' ')}`;
        const r = compile({ profile: c.profile, set });
        expect(r.output, `${label}: ${r.diagnostics.map((d) => d.message).join('; ')}`).toBeDefined();
        for (const { reader, dump } of dumpHandlerConfigs(written(r.output!).files, c.readers, label)) {
          const runtimes = runtimesOf(dump);
          expect(runtimes.nvidia?.runtime_type, `${label} (${reader})`).toBe('io.containerd.runc.v2');
          expect(runtimes.nvidia?.options, `${label} (${reader})`).toMatchObject({ BinaryName: '/usr/bin/nvidia-container-runtime', SystemdCgroup: driver === 'systemd' });
          expect(runtimes.runc?.options?.SystemdCgroup, `${label} (${reader}) runc`).toBe(driver === 'systemd');
          expect(readDump(dump).sandbox, `${label} (${reader}) sandbox image`).toBe('registry.k8s.io/pause:3.10.2');
          // Where CDI is: the CRI plugin (1.x), the CRI runtime plugin (2.x); 1.6 has none.
          const cri = dump.version === 3 ? dump.plugins?.['io.containerd.cri.v1.runtime'] : dump.plugins?.['io.containerd.grpc.v1.cri'];
          if (reader === '1.6') expect(cri?.enable_cdi, `${label} (${reader})`).toBeUndefined();
          else {
            // 1.7 turns it on only when asked; 2.x has it on either way.
            expect(cri?.enable_cdi, `${label} (${reader}) enable_cdi`).toBe(c.cdi || reader === '2.x');
            expect(cri?.cdi_spec_dirs, `${label} (${reader}) cdi_spec_dirs`).toEqual(['/etc/cdi', '/var/run/cdi']);
          }
          dumps++;
        }
      }
    }
    expect(dumps).toBe(14);
    process.stdout.write(`nvidia handler: ${dumps} dumps\n`);
  });

  it('would catch handlers in an imported file on containerd 1.x: the import replaces the whole CRI section there', (ctx) => {
    needConsumers(ctx, CONTAINERD['1.7']);
    // Why config v2 keeps its handlers in config.toml: moved to an import, 1.7 loses runc and the sandbox image.
    const r = compile({ profile: 'debian-13/containerd', set: ['runtime.source=distro', 'runtime.handlers={"crun": {}}'] });
    const config = written(r.output!).files.find((f) => f.path === '/etc/containerd/config.toml')!.contents;
    const at = config.indexOf('# runtime.handlers.crun');
    const end = config.indexOf('[plugins."io.containerd.grpc.v1.cri".registry]');
    const dir = tempDir('crinit-handlers-');
    writeFileSync(join(dir, 'crun.toml'), `version = 2\n${config.slice(at, end)}`);
    writeFileSync(join(dir, 'config.toml'), config.slice(0, at).replace('version = 2', `version = 2\nimports = [${JSON.stringify(join(dir, 'crun.toml'))}]`) + config.slice(end));
    const out = spawnSync(join(CONSUMERS, CONTAINERD['1.7'], 'usr/bin/containerd'), ['--config', join(dir, 'config.toml'), 'config', 'dump'], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const dump = parseToml(out.stdout) as Record<string, unknown>;
    expect(runtimesOf(dump).crun?.options?.BinaryName).toBe('/usr/bin/crun');
    expect(readDump(dump).sandbox).not.toBe('registry.k8s.io/pause:3.10.2');
  });
});

describe('dockerd --validate (Debian docker.io 26)', () => {
  const DOCKERD = join(CONSUMERS, 'docker-trixie', 'usr/sbin/dockerd');
  // dockerd checks that its userland proxy exists; it is in the same package.
  const env = { ...process.env, PATH: `${join(CONSUMERS, 'docker-trixie', 'usr/sbin')}:${join(CONSUMERS, 'docker-trixie', 'usr/bin')}:${process.env.PATH}` };

  it('accepts every daemon.json crinit writes', (ctx) => {
    needConsumers(ctx, 'docker-trixie');
    const dir = tempDir('crinit-dockerd-');
    let n = 0;
    for (const d of [...DISTROS, ...IGNITION_DISTROS]) {
      for (const set of [[], ['runtime.cgroupDriver=cgroupfs'], ['runtime.registryMirrors={"docker.io": ["https://mirror.example.com", "http://10.0.0.5:5000"]}']]) {
        const r = compile({ profile: `${d}/docker`, set });
        if (!r.output) continue; // cgroupfs on an image whose dockerd keeps its default
        const json = written(r.output).files.find((f) => f.path === '/etc/docker/daemon.json');
        expect(json, `${d}/docker ${set.join(' ')}`).toBeDefined();
        const file = join(dir, `daemon-${n++}.json`);
        writeFileSync(file, json!.contents);
        const v = spawnSync(DOCKERD, ['--validate', '--config-file', file], { encoding: 'utf8', env });
        expect(v.status, `${d}/docker ${set.join(' ')}: ${v.stderr}${v.stdout}`).toBe(0);
        expect(v.stdout + v.stderr).toContain('configuration OK');
      }
    }
    expect(n).toBeGreaterThanOrEqual((DISTROS.length + IGNITION_DISTROS.length) * 2);
  });

  it('refuses a daemon.json that sets the cgroup driver twice (it is really checking)', (ctx) => {
    needConsumers(ctx, 'docker-trixie');
    const file = join(tempDir('crinit-dockerd-'), 'bad.json');
    writeFileSync(file, '{"exec-opts": ["native.cgroupdriver=systemd"], "bogus-option": true}\n');
    const v = spawnSync(DOCKERD, ['--validate', '--config-file', file], { encoding: 'utf8', env });
    expect(v.status).not.toBe(0);
  });
});

/** The packages' own units where Debian ships them; minimal stand-ins for the rest. */
function packageUnits(root: string): void {
  const lib = join(root, 'usr/lib/systemd/system');
  for (const [pkg, units] of [['containerd-bookworm', ['containerd.service']], ['docker-trixie', ['docker.service', 'docker.socket']]] as const) {
    for (const u of units) {
      for (const base of ['lib/systemd/system', 'usr/lib/systemd/system']) {
        const from = join(CONSUMERS, pkg, base, u);
        if (existsSync(from)) cpSync(from, join(lib, u));
      }
    }
  }
  // No Debian package carries these here: the least a unit needs, so that drop-ins have a base.
  for (const [u, exec] of [['kubelet.service', '/usr/bin/kubelet'], ['crio.service', '/usr/bin/crio'], ['rpm-ostreed.service', '/usr/bin/rpm-ostree'], ['zincati.service', '/usr/libexec/zincati']]) {
    if (!existsSync(join(lib, u))) writeFileSync(join(lib, u), `[Unit]\nDescription=${u} stand-in\n\n[Service]\nExecStart=${exec}\n\n[Install]\nWantedBy=multi-user.target\n`);
  }
}

/** Every absolute command an Exec line names gets an executable stand-in in the root, if absent. */
function stubCommands(root: string, text: string): void {
  for (const line of text.split('\n')) {
    const m = /^Exec[A-Za-z]*=(.*)$/.exec(line.trim());
    if (!m || !m[1]) continue;
    const word = systemdSplit(m[1].replace(/^[-@:+!]+/, ''))[0];
    if (!word?.startsWith('/')) continue;
    const p = join(root, word);
    if (existsSync(p)) continue;
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, '#!/bin/sh\n');
    chmodSync(p, 0o755);
  }
}

describe('systemd-analyze verify', () => {
  it('finds nothing to report in any unit or drop-in crinit writes', (ctx) => {
    needTool(ctx, 'systemd-analyze', 'systemd');
    needConsumers(ctx, 'containerd-bookworm', 'docker-trixie');
    const hostUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'sysinit.target')));
    expect(hostUnits, "this machine's systemd units").toBeDefined();
    let verified = 0;
    const profiles: { profile: string; set: string[] }[] = [];
    for (const d of [...DISTROS, ...IGNITION_DISTROS]) {
      for (const rt of ['containerd', 'docker', 'cri-o']) {
        profiles.push({ profile: `${d}/${rt}`, set: [] }, { profile: `${d}/${rt}`, set: PROXY });
      }
    }
    profiles.push({ profile: 'fcos/cri-o', set: ['kubernetes.version=1.36', ...PROXY] });
    for (const { profile, set } of profiles) {
      const r = compile({ profile, set });
      if (!r.output) continue; // a combination crinit refuses (CRI-O on Debian 13, say)
      const { files, units } = written(r.output);
      if (units.length === 0) continue;
      const root = tempDir('crinit-verify-');
      mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
      cpSync(hostUnits!, join(root, 'usr/lib/systemd/system'), { recursive: true });
      packageUnits(root);
      // What the output writes lands in the root as on the node (EnvironmentFile= targets too).
      for (const f of files) {
        mkdirSync(dirname(join(root, f.path)), { recursive: true });
        writeFileSync(join(root, f.path), f.contents, { mode: f.mode ?? 0o644 });
        chmodSync(join(root, f.path), f.mode ?? 0o644);
      }
      const etc = join(root, 'etc/systemd/system');
      for (const u of units) {
        mkdirSync(etc, { recursive: true });
        if (u.contents !== undefined) writeFileSync(join(etc, u.name), u.contents);
        for (const d of u.dropins) {
          mkdirSync(join(etc, `${u.name}.d`), { recursive: true });
          writeFileSync(join(etc, `${u.name}.d`, d.path), d.contents);
        }
      }
      // The commands the units run come with their packages: stand-ins, so that verify finds them.
      for (const dirPath of [etc, join(root, 'usr/lib/systemd/system')]) {
        for (const e of readdirSync(dirPath, { recursive: true }) as string[]) {
          const p = join(dirPath, e);
          if (/\.(service|socket|conf)$/.test(p) && statSync(p).isFile()) stubCommands(root, readFileSync(p, 'utf8'));
        }
      }
      const names = units.map((u) => u.name);
      const v = spawnSync('systemd-analyze', ['verify', `--root=${root}`, '--man=no', ...names], { encoding: 'utf8', cwd: root });
      expect(v.status, `${profile} ${set.join(' ')}: ${v.stderr}`).toBe(0);
      expect(v.stderr.trim(), `${profile} ${set.join(' ')}`).toBe('');
      verified += names.length;
    }
    expect(verified).toBeGreaterThan(40);
    process.stdout.write(`systemd-analyze verify: ${verified} units with their drop-ins\n`);
  });

  it('reports a unit with an unknown key (it is really checking)', (ctx) => {
    needTool(ctx, 'systemd-analyze', 'systemd');
    const hostUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'sysinit.target')))!;
    const root = tempDir('crinit-verify-');
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
    cpSync(hostUnits, join(root, 'usr/lib/systemd/system'), { recursive: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/system/x.service'), '[Service]\nExecStart=/bin/true\nEnviroment=A=b\n');
    const v = spawnSync('systemd-analyze', ['verify', `--root=${root}`, '--man=no', 'x.service'], { encoding: 'utf8', cwd: root });
    expect(v.stderr).toContain("Unknown key 'Enviroment'");
  });
});
