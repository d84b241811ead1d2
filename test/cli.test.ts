/**
 * The command line: exit codes, stdout/stderr separation, atomic -o, list and validate.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile } from '../dist/index.js';
import { CLI, DISTROS, IGNITION_DISTROS, ROOT, needTool, runCli, tempDir, writeTemp } from './helpers.js';

describe('crinit render', () => {
  it('prints user-data on stdout, nothing on stderr, exit 0', () => {
    const r = runCli(['render', 'ubuntu-24.04/containerd']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(compile({ profile: 'ubuntu-24.04/containerd' }).output);
  });

  it('-o writes the same bytes to the file and nothing to stdout', () => {
    const dir = tempDir();
    const r = runCli(['render', 'debian-12/containerd', '-o', join(dir, 'user-data')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(join(dir, 'user-data'), 'utf8')).toBe(compile({ profile: 'debian-12/containerd' }).output);
    expect(readdirSync(dir)).toEqual(['user-data']);
  });

  it('-o replaces a link planted at the target instead of writing through it', () => {
    const dir = tempDir();
    const victim = writeTemp(dir, 'victim', 'precious\n');
    symlinkSync(victim, join(dir, 'user-data'));
    const r = runCli(['render', 'ubuntu-24.04/containerd', '-o', join(dir, 'user-data')]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'user-data')).isSymbolicLink()).toBe(false);
    expect(statSync(join(dir, 'user-data')).mode & 0o777).toBe(0o600);
  });

  it('-o on error keeps an existing file untouched', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'user-data'), 'previous\n');
    const r = runCli(['render', 'ubuntu-24.04/containerd', '--set', 'runtime.cgroupDriver=nope', '-o', join(dir, 'user-data')]);
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, 'user-data'), 'utf8')).toBe('previous\n');
    expect(readdirSync(dir)).toEqual(['user-data']);
  });

  it('-o into a missing directory is the user\'s write error: exit 1, E-WRITE in words, nothing left', () => {
    const dir = tempDir();
    const target = join(dir, 'missing-dir', 'user-data');
    const r = runCli(['render', 'ubuntu-24.04/containerd', '-o', target]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error E-WRITE: cannot write ${target}: its directory does not exist (ENOENT)\n  hint: choose a path in a directory that exists and that you can write to; nothing was written\n`);
    expect(r.stderr).not.toContain('E-INTERNAL');
    expect(readdirSync(dir)).toEqual([]);
    // A fleet's output directory under a file is the same kind of error.
    writeFileSync(join(dir, 'file'), 'x');
    writeFileSync(join(dir, 'nodes.yaml'), 'nodes:\n  - {name: a, profile: debian-12/containerd}\n');
    const f = runCli(['render', '--inventory', join(dir, 'nodes.yaml'), '-o', join(dir, 'file', 'out')]);
    expect(f.status).toBe(1);
    expect(f.stderr).toMatch(/^error E-WRITE: cannot write to .*file\/out: a part of the path is not a directory \(ENOTDIR\)/);
  });

  it('renders a user profile that extends another file and a built-in, with warnings on stderr', () => {
    const dir = tempDir();
    writeTemp(dir, 'base-node.yaml', 'extends: debian-12/containerd\nruntime:\n  source: distro\n');
    writeTemp(dir, 'node.yaml', 'extends: ./base-node.yaml\nruntime:\n  sandboxImage: registry.example.com/pause:3.10\n');
    const r = runCli(['render', 'node.yaml'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sandbox_image = "registry.example.com/pause:3.10"');
    expect(r.stdout).toContain('# Profile layers: "base > debian-12 > containerd > base-node.yaml > node.yaml".');
    // The version came from the distro layer's default for its own package, so that is where it points.
    expect(r.stderr).toMatch(/^profiles\/distros\/debian-12\.yaml:\d+:\d+: warning W-RULE-EOL: containerd 1\.6 is end-of-life/m);
  });

  it('a missing profile file is invalid input, exit 1', () => {
    const r = runCli(['render', 'does-not-exist.yaml']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the profile file "does-not-exist.yaml" does not exist');
  });

  it('usage errors exit 2', () => {
    expect(runCli(['render']).status).toBe(2);
    expect(runCli(['render', 'ubuntu-24.04/containerd', '--no-such-flag']).status).toBe(2);
    expect(runCli(['frobnicate']).status).toBe(2);
    expect(runCli(['--version']).status).toBe(0);
  });
});

describe('crinit validate', () => {
  it('says ok with the chain, exit 0', () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', 'extends: rhel-9/containerd\n');
    const r = runCli(['validate', 'node.yaml'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ok: node.yaml (base > rhel-9 > containerd > node.yaml)\n');
  });

  it('fails with diagnostics, exit 1', () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', 'extends: rhel-9/containerd\nruntime:\n  source: distro\n');
    const r = runCli(['validate', 'node.yaml'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('node.yaml:3:11: error E-RULE-UNSUPPORTED');
  });
});

describe('crinit list', () => {
  it('--json has one row per distro for containerd, truthful about sources', () => {
    const r = runCli(['list', '--json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { profile: string; supported: boolean; defaultSource: string; sources: { source: string; supported: boolean; configVersion?: number; reason?: string }[] }[];
    expect(rows.map((x) => x.profile).sort()).toEqual([...DISTROS, ...IGNITION_DISTROS].flatMap((d) => [`${d}/containerd`, `${d}/cri-o`, `${d}/docker`, `${d}/mcr`]).sort());
    for (const row of rows) {
      // CRI-O on Debian 13 and Amazon Linux 2023 is refused as unconfirmed; MCR where Mirantis does
      // not support it; every other combination renders, Docker on fcos and flatcar from the image.
      expect(row.supported, row.profile).toBe(!/^(debian-13|amazonlinux-2023)\/cri-o$|^(debian-1[23]|amazonlinux-2023|fcos|flatcar)\/mcr$/.test(row.profile));
      // CRI-O on Flatcar renders once the profile gives a release and the image's sum.
      if (row.profile === 'flatcar/cri-o') expect(row.sources.find((x) => x.source === 'upstream')).toMatchObject({ supported: true, sysext: true });
      if (/^(fcos|flatcar)\/docker$/.test(row.profile)) expect(row.defaultSource).toBe('builtin');
      if (row.profile.endsWith('/mcr')) {
        const d = row.profile.split('/')[0]!;
        if (/^ubuntu|^rhel/.test(d)) expect(row.sources.find((x) => x.source === 'upstream')).toMatchObject({ supported: true, needs: 'give mcr.keyFingerprint' });
        else expect((row as { reason?: string }).reason).toMatch(/Mirantis does not support MCR/);
      }
      for (const s of row.sources) {
        // What list says is what render does.
        const needs = (s as { needs?: string }).needs;
        const sysext =
          needs === undefined ? [] : needs === 'give mcr.keyFingerprint' ? [`mcr.keyFingerprint=${'0'.repeat(40)}`] : ['runtime.version=1.36.0', `crio.sysext={"sha256": {"amd64": "${'0'.repeat(64)}"}}`];
        const out = compile({ profile: row.profile, set: [`runtime.source=${s.source}`, ...sysext] });
        expect(out.output !== undefined).toBe(s.supported);
        if (!s.supported) expect(s.reason).toMatch(/not available|cannot render|not supported on/);
      }
    }
    // The Kubernetes column: what `render --set kubernetes.version=1.36` does on the default source.
    for (const row of rows.filter((x) => x.supported) as unknown as { profile: string; kubernetes: { version: string; supported: boolean; reason?: string } }[]) {
      const flatcar = row.profile.startsWith('flatcar/');
      const set = flatcar ? `kubernetes={"version": "1.36.0", "sysext": {"sha256": {"amd64": "${'0'.repeat(64)}"}}}` : 'kubernetes.version=1.36';
      const crio =
        row.profile === 'flatcar/cri-o'
          ? ['runtime.version=1.36.0', `crio.sysext={"sha256": {"amd64": "${'0'.repeat(64)}"}}`]
          : row.profile.endsWith('/mcr')
            ? [`mcr.keyFingerprint=${'0'.repeat(40)}`]
            : [];
      const out = compile({ profile: row.profile, set: [...crio, set] });
      expect(row.kubernetes.version).toBe('1.36');
      expect(row.kubernetes.supported, row.profile).toBe(out.output !== undefined);
      expect(row.kubernetes.supported, row.profile).toBe(!/^debian-13\//.test(row.profile));
      if (flatcar) expect((row.kubernetes as { via?: string }).via).toBe('sysext');
      if (!row.kubernetes.supported) expect(row.kubernetes.reason, row.profile).toMatch(/UNCONFIRMED/);
    }
    const al = rows.find((x) => x.profile === 'amazonlinux-2023/containerd')!;
    expect(al.defaultSource).toBe('distro');
    for (const d of DISTROS) {
      const row = rows.find((x) => x.profile === `${d}/docker`)!;
      expect(row.defaultSource).toBe(d === 'amazonlinux-2023' ? 'distro' : 'upstream');
      expect((row.sources.find((s) => s.source === row.defaultSource) as { criDockerd?: string }).criDockerd).toBe('0.3.24');
    }
    for (const d of IGNITION_DISTROS) {
      const row = rows.find((x) => x.profile === `${d}/containerd`)!;
      expect(row.defaultSource).toBe('builtin');
      expect((row as unknown as { backends: string[] }).backends).toEqual(['ignition']);
    }
    const deb12 = rows.find((x) => x.profile === 'debian-12/containerd')!;
    expect(deb12.sources.find((s) => s.source === 'distro')!.configVersion).toBe(2);
  });

  it('says "booted" exactly for the combinations the e2e suite boots', async () => {
    const { PROVEN_BY_BOOT, PROVEN_BY_STAND_IN } = await import('../dist/index.js');
    const e2e = readFileSync(join(ROOT, 'test/e2e/boot.test.ts'), 'utf8');
    for (const [profile, sources] of Object.entries(PROVEN_BY_BOOT)) {
      // Every booted case renders the profile with runtime.source: distro.
      expect(sources).toEqual(['distro']);
      expect(e2e).toMatch(new RegExp(`it\\('\\d\\. ${profile.replace('.', '\\.')}`));
    }
    const rows = JSON.parse(runCli(['list', '--json']).stdout) as { profile: string; sources: { source: string; proof?: string }[] }[];
    for (const row of rows) {
      for (const s of row.sources) {
        if (s.proof === undefined) continue;
        expect(s.proof === 'boot').toBe((PROVEN_BY_BOOT[row.profile] ?? []).includes(s.source as 'distro'));
        expect(s.proof === 'stand-in boot').toBe((PROVEN_BY_STAND_IN[row.profile] ?? []).includes(s.source as 'builtin'));
      }
    }
    // The stand-in case boots every profile listed, with the runtime built into the image.
    expect(e2e).toMatch(/it\('5\. fcos\/containerd and flatcar\/containerd:/);
    expect(e2e).toContain("for (const distro of ['fcos', 'flatcar'] as const)");
    expect(Object.keys(PROVEN_BY_STAND_IN).sort()).toEqual(['fcos/containerd', 'flatcar/containerd']);
    for (const row of rows) {
      for (const s of row.sources) {
        if (s.proof === undefined) continue;
      }
    }
  });

  it('stops quietly when its reader closes the pipe early (crinit list | head -1)', () => {
    const r = spawnSync('sh', ['-c', `node ${JSON.stringify(CLI)} list | head -1`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^PROFILE +SOURCE +INSTALLS/);
    expect(r.stderr).not.toContain('EPIPE');
  });

  it('reads a profile from standard input for -, and reports positions in it as -:line:col', () => {
    const text = 'extends: debian-12/containerd\nruntime: {cgroupDriver: systemd}\n';
    const r = runCli(['render', '-'], { input: text });
    expect(r.status, r.stderr).toBe(0);
    // The same output as from a file, but for the profile's name.
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', text);
    const fromFile = runCli(['render', 'node.yaml'], { cwd: dir }).stdout;
    expect(JSON.stringify(parseYaml(r.stdout))).toBe(JSON.stringify(parseYaml(fromFile)).replaceAll('node.yaml', '-'));
    const bad = runCli(['validate', '-'], { input: 'extends: debian-12/containerd\nruntime: {cgroupDrivr: systemd}\n' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('-:2:11: error E-SCHEMA-UNKNOWN-KEY');
    // An inventory too; its profiles are found from the current directory.
    const inv = runCli(['render', '--inventory', '-', '-o', 'out'], { cwd: dir, input: 'nodes:\n  - {name: a1, profile: node.yaml}\n' });
    expect(inv.status, inv.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out', 'a1.user-data'), 'utf8')).toBe(fromFile);
  });

  it('the package ships its license and the profile schema, exported for editors (crinit/profile.schema.json)', () => {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'profiles/profile.schema.json', 'dist/cli.cjs', 'dist/index.js']));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; exports: Record<string, unknown> };
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^Apache License\s+Version 2\.0, January 2004/);
    expect(pkg.license).toBe('Apache-2.0');
    const schema = JSON.parse(readFileSync(join(ROOT, pkg.exports['./profile.schema.json'] as string), 'utf8')) as { $id: string; properties: Record<string, unknown> };
    expect(schema.properties).toHaveProperty('runtime');
  });

  it('prints a table with every profile within 120 columns, and every source with --wide', () => {
    const r = runCli(['list']);
    expect(r.status).toBe(0);
    for (const d of [...DISTROS, ...IGNITION_DISTROS]) expect(r.stdout).toContain(`${d}/containerd`);
    expect(r.stdout.split('\n').filter((l) => l.length > 120)).toEqual([]);
    expect(r.stdout).toMatch(/^flatcar\/containerd +builtin +in image 2\.1 +stand-in +sysext +-$/m);
    expect(r.stdout).toMatch(/^ubuntu-24\.04\/containerd +upstream +containerd\.io 2\.3 +validated +packages +crun,runsc,kata,nvidia$/m);
    // What a source needs the profile to give is a numbered note under the table.
    expect(r.stdout).toMatch(/^ubuntu-24\.04\/mcr +upstream +docker-ee 25\.0 \[2\] +validated/m);
    expect(r.stdout).toMatch(/^flatcar\/cri-o +upstream +crio image \[1\] +validated/m);
    expect(r.stdout).toContain('\n\n[1] sysext, give its sha256   [2] give mcr.keyFingerprint\n');
    expect(r.stdout).toContain('crinit list --wide');
    const w = runCli(['list', '--wide']);
    expect(w.status).toBe(0);
    expect(w.stdout).toMatch(/^PROFILE +DEFAULT SOURCE +UPSTREAM +DISTRO +BUILTIN +BACKENDS +KUBERNETES 1\.36 +HANDLERS$/m);
    expect(w.stdout).toMatch(/^flatcar\/containerd +builtin .* ignition +sysext \(give its sha256\) +-$/m);
    expect(w.stdout).toMatch(/^fcos\/containerd +builtin .* ignition +pkgs\.k8s\.io +runsc$/m);
    expect(w.stdout).toMatch(/^ubuntu-24\.04\/containerd +upstream .* cloud-init +pkgs\.k8s\.io +crun,runsc,kata,nvidia$/m);
    expect(r.stdout).toContain('Kubernetes 1.36 packages refused (kubernetes.version):\n  debian-13: ');
    expect(r.stdout).toContain('Unsupported (- above):');
    // A cloud-init distro is not listed as lacking a runtime in its image, nor the reverse.
    expect(r.stdout).not.toMatch(/ubuntu-24\.04\/containerd builtin:|fcos\/containerd upstream:/);
  });
});

describe('built-in profile files', () => {
  it('a built-in name still reads a file of that name when one exists', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ubuntu-24.04'));
    writeTemp(join(dir, 'ubuntu-24.04'), 'containerd', 'extends: ubuntu-24.04/containerd\nruntime:\n  cgroupDriver: cgroupfs\n');
    chmodSync(join(dir, 'ubuntu-24.04', 'containerd'), 0o644);
    const r = runCli(['render', 'ubuntu-24.04/containerd'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('SystemdCgroup = false');
    expect(existsSync(join(dir, 'ubuntu-24.04', 'containerd'))).toBe(true);
  });
});

describe('help', () => {
  it("`crinit --help` is the program's own help, answered without loading the parser", () => {
    const fast = runCli(['--help']);
    // The parser's own answer, for comparison: through the program module itself.
    const slow = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(join(ROOT, 'dist/cli/program.js'))}).then((m) => m.runProgram(['node', 'crinit', '--help']))`], { encoding: 'utf8' });
    expect(fast.status).toBe(0);
    expect(slow.status).toBe(0);
    expect(fast.stdout).toBe(slow.stdout);
    expect(fast.stdout).toContain('Examples:');
    expect(runCli(['-h']).stdout).toBe(fast.stdout);
  });

  it('every command has examples, and render names every format it writes', () => {
    const top = runCli(['--help']).stdout;
    const commands = [...top.matchAll(/^ {2}([a-z]+) \[?/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['render', 'validate', 'list', 'serve', 'export', 'manifest', 'runtimeclasses']));
    for (const c of commands) {
      const r = runCli([c, '--help']);
      expect(r.status, c).toBe(0);
      expect(r.stdout, c).toMatch(/Examples:\n {2}\$ crinit /);
    }
    const render = runCli(['render', '--help']).stdout.replace(/\s+/g, ' ');
    expect(render).toContain('Ignition JSON or Butane');
    expect(render).toContain('<name>.ign');
    expect(render).toContain('--annotate');
  });
});

describe('names and paths', () => {
  it('suggests the built-in name nearest to a misspelt one', () => {
    const d = runCli(['render', 'ubuntu-24.4/containerd']);
    expect(d.status).toBe(1);
    expect(d.stderr).toContain('error E-RESOLVE-UNKNOWN: unknown distro "ubuntu-24.4" in "ubuntu-24.4/containerd"');
    expect(d.stderr).toContain('hint: did you mean "ubuntu-24.04/containerd"?');
    const r = runCli(['render', 'debian-12/containrd']);
    expect(r.stderr).toContain('hint: did you mean "debian-12/containerd"?');
    // Nothing near: no guess, the list.
    const none = runCli(['render', 'windows/containerd']);
    expect(none.stderr).not.toContain('did you mean');
    expect(none.stderr).toContain('the distros: ');
  });

  it('DIR/NAME under an existing directory is a missing file, not an unknown distro', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'examples'));
    const r = runCli(['render', 'examples/x'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('error E-LOAD-NOT-FOUND: the profile file "examples/x" does not exist\n  hint: check the path, or pass a built-in name such as ubuntu-24.04/containerd (see `crinit list`)\n');
  });
});

describe('diagnostics for machines, and --strict', () => {
  const WARNS = 'extends: ubuntu-24.04/containerd\nruntime:\n  cgroupDriver: cgroupfs\n';

  it('validate --json: the verdict and every diagnostic on stdout, exit codes as without it', () => {
    const ok = runCli(['validate', 'ubuntu-24.04/containerd', '--json']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, profile: 'ubuntu-24.04/containerd', chain: 'base > ubuntu-24.04 > containerd', diagnostics: [] });
    const dir = tempDir();
    const bad = writeTemp(dir, 'bad.yaml', 'extends: ubuntu-24.04/containerd\nruntime:\n  cgroupDriver: sometimes\n');
    const r = runCli(['validate', bad, '--json']);
    expect(r.status).toBe(1);
    const v = JSON.parse(r.stdout) as { ok: boolean; diagnostics: Record<string, unknown>[] };
    expect(v.ok).toBe(false);
    expect(v.diagnostics[0]).toEqual({ file: bad, line: 3, column: 17, code: 'E-SCHEMA', severity: 'error', message: expect.any(String), hint: expect.any(String) });
    expect(r.stderr).toBe('');
  });

  it('--strict fails on a warning and writes nothing; render --json puts the diagnostics on stderr as JSON', () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'w.yaml', WARNS);
    expect(runCli(['render', file]).status).toBe(0);
    const strict = runCli(['render', file, '--strict', '--json', '-o', join(dir, 'out')]);
    expect(strict.status).toBe(1);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(strict.stdout).toBe('');
    const report = JSON.parse(strict.stderr) as { diagnostics: { code: string; severity: string; line: number }[] };
    expect(report.diagnostics).toEqual([expect.objectContaining({ code: 'W-RULE-CGROUP', severity: 'warning', line: 3 })]);
    expect(runCli(['validate', file]).status).toBe(0);
    expect(runCli(['validate', file, '--strict']).status).toBe(1);
  });

  it("validate takes render's options and checks what render would write", () => {
    // --format: Butane is for the Ignition distros.
    const f = runCli(['validate', 'ubuntu-24.04/containerd', '--format', 'butane']);
    expect(f.status).toBe(1);
    expect(f.stderr).toContain('--format butane');
    // --offline: the default profile fetches from public hosts.
    const o = runCli(['validate', 'ubuntu-24.04/containerd', '--offline']);
    expect(o.status).toBe(1);
    expect(o.stderr).toContain('E-OFFLINE');
    // --var: a declared variable with a value.
    const dir = tempDir();
    const file = writeTemp(dir, 'v.yaml', 'extends: ubuntu-24.04/containerd\nterraform:\n  variables: [role]\nfiles:\n  - path: /etc/role\n    content: "${role}"\n');
    expect(runCli(['validate', file]).status).toBe(1);
    expect(runCli(['validate', file, '--var', 'role=worker']).status).toBe(0);
    // Nothing is ever written by validate.
    expect(runCli(['validate', 'ubuntu-24.04/containerd', '--platform', 'aws']).stdout).toBe('ok: ubuntu-24.04/containerd (base > ubuntu-24.04 > containerd)\n');
  });

  it('refuses to write gzip to a terminal, and writes it to a file or a pipe', (ctx) => {
    needTool(ctx, 'script', 'bsdutils');
    const dir = tempDir();
    const tty = spawnSync('script', ['-qec', `${process.execPath} ${CLI} render ubuntu-24.04/containerd --gzip`, '/dev/null'], { cwd: dir, encoding: 'utf8' });
    expect(tty.status).toBe(2);
    expect(tty.stdout).toContain('error: --gzip writes binary data, and standard output is a terminal');
    const piped = runCli(['render', 'ubuntu-24.04/containerd', '--gzip']);
    expect(piped.status).toBe(0);
    expect(runCli(['render', 'ubuntu-24.04/containerd', '--gzip', '-o', join(dir, 'ud.gz')]).status).toBe(0);
    expect(readFileSync(join(dir, 'ud.gz')).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe('crinit completion', () => {
  it('bash: completes commands, options, option values and built-in profiles', (ctx) => {
    needTool(ctx, 'bash');
    const script = runCli(['completion', 'bash']);
    expect(script.status).toBe(0);
    const dir = tempDir();
    const file = writeTemp(dir, 'crinit.bash', script.stdout);
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
    const complete = (...words: string[]) =>
      spawnSync('bash', ['-c', `source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}; _crinit; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: dir, encoding: 'utf8' }).stdout.trim().split('\n');
    expect(complete('crinit', 'ren')).toEqual(['render']);
    expect(complete('crinit', 'comp')).toEqual(['completion']);
    expect(complete('crinit', 'render', 'ubuntu-24.04/c')).toEqual(['ubuntu-24.04/containerd', 'ubuntu-24.04/cri-o']);
    expect(complete('crinit', 'render', '--ann')).toEqual(['--annotate']);
    expect(complete('crinit', 'validate', '--str')).toEqual(['--strict']);
    expect(complete('crinit', 'render', '--format', 'b')).toEqual(['butane']);
    expect(complete('crinit', 'list', '--w')).toEqual(['--wide']);
  });

  it('zsh: a script zsh reads, for the same commands; another shell is a usage error', (ctx) => {
    needTool(ctx, 'zsh');
    const script = runCli(['completion', 'zsh']);
    expect(script.status).toBe(0);
    expect(script.stdout.startsWith('#compdef crinit\n')).toBe(true);
    expect(spawnSync('zsh', ['-n', writeTemp(tempDir(), '_crinit', script.stdout)]).status).toBe(0);
    for (const c of ['render', 'validate', 'list', 'serve', 'export', 'manifest', 'runtimeclasses']) expect(script.stdout).toContain(` ${c}) opts=(`);
    const fish = runCli(['completion', 'fish']);
    expect(fish.status).toBe(2);
    expect(fish.stderr).toContain('no completion for "fish"');
  });
});
