/**
 * A signed apt repository built on the host, standing in for Docker's download.docker.com
 * (which these machines cannot reach), so that crinit's default `upstream` path is booted too:
 * apt.sources with the key inline and [signed-by=$KEY_FILE], a pinned `containerd.io` version,
 * the hold, and the config installed over the packaged one.
 *
 * Its one package, `containerd.io` 1.7.99-1~crinit, is a stand-in that depends on Debian's
 * containerd (which ships its own /etc/containerd/config.toml as a conffile). The repository is
 * signed with a throw-away ed25519 key made for the run. Needs gpg, dpkg-deb and apt-ftparchive.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeRepo {
  readonly root: string;
  readonly armoredKey: string;
  readonly fingerprint: string;
  readonly suite: string;
  readonly component: string;
  readonly version: string;
}

function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, ...opts.env }, input: opts.input, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function buildFakeDockerRepo(suite = 'bookworm'): FakeRepo {
  const work = mkdtempSync(join(tmpdir(), 'crinit-apt-'));
  const gnupg = join(work, 'gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  const env = { GNUPGHOME: gnupg };
  run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'crinit e2e repository <e2e@crinit.invalid>', 'ed25519', 'sign', '1d'], { env });
  const colons = run('gpg', ['--batch', '--with-colons', '--list-keys'], { env });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
  const armoredKey = run('gpg', ['--batch', '--armor', '--export', fingerprint], { env });

  const version = '1.7.99-1~crinit';
  const pkg = join(work, 'pkg');
  mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(join(pkg, 'usr/share/doc/containerd.io'), { recursive: true });
  writeFileSync(join(pkg, 'usr/share/doc/containerd.io/README.crinit'), 'A stand-in for containerd.io in crinit\'s boot tests.\n');
  writeFileSync(
    join(pkg, 'DEBIAN/control'),
    [
      'Package: containerd.io',
      `Version: ${version}`,
      'Architecture: all',
      'Depends: containerd',
      'Maintainer: crinit e2e <e2e@crinit.invalid>',
      "Description: stand-in for Docker's containerd.io in crinit's boot tests",
      '',
    ].join('\n'),
  );
  const root = join(work, 'repo');
  const component = 'stable';
  const pool = join(root, 'pool', component);
  mkdirSync(pool, { recursive: true });
  run('dpkg-deb', ['--root-owner-group', '--build', pkg, join(pool, `containerd.io_${version.replace(/^\d+:/, '')}_all.deb`)]);
  const dists = join(root, 'dists', suite);
  const binary = join(dists, component, 'binary-amd64');
  mkdirSync(binary, { recursive: true });
  writeFileSync(join(binary, 'Packages'), run('apt-ftparchive', ['packages', `pool/${component}`], { cwd: root }));
  const release = run(
    'apt-ftparchive',
    [
      '-o', `APT::FTPArchive::Release::Suite=${suite}`,
      '-o', `APT::FTPArchive::Release::Codename=${suite}`,
      '-o', `APT::FTPArchive::Release::Components=${component}`,
      '-o', 'APT::FTPArchive::Release::Architectures=amd64 all',
      'release', '.',
    ],
    { cwd: dists },
  );
  writeFileSync(join(dists, 'Release'), release);
  run('gpg', ['--batch', '--yes', '--default-key', fingerprint, '--clearsign', '-o', join(dists, 'InRelease'), join(dists, 'Release')], { env });
  readFileSync(join(dists, 'InRelease'));
  return { root, armoredKey, fingerprint, suite, component, version };
}

/** A stand-in for one pkgs.k8s.io minor: a flat, signed repository with its Release.key beside it. */
export interface FakeKubernetesRepo {
  /** What the test server serves; the repository lives at `path` below it. */
  readonly root: string;
  readonly path: string;
  readonly fingerprint: string;
  readonly version: string;
  readonly criToolsVersion: string;
}

/**
 * buildFakeKubernetesRepo builds kubelet, kubeadm, kubectl and cri-tools stand-ins for the minor,
 * laid out as pkgs.k8s.io lays out core:/stable:/vX.Y/deb/ (a flat repository, "deb URI /").
 * The kubelet stand-in ships /etc/default/kubelet as a conffile (KUBELET_EXTRA_ARGS=, as the real
 * package does) and a unit that passes $KUBELET_EXTRA_ARGS on; when started, it records its
 * arguments and its proxy environment under /run/crinit-e2e and sleeps.
 */
export function buildFakeKubernetesRepo(minor: string): FakeKubernetesRepo {
  const work = mkdtempSync(join(tmpdir(), 'crinit-k8s-'));
  const gnupg = join(work, 'gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  const env = { GNUPGHOME: gnupg };
  run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'crinit e2e pkgs.k8s.io stand-in <e2e@crinit.invalid>', 'ed25519', 'sign', '1d'], { env });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(run('gpg', ['--batch', '--with-colons', '--list-keys'], { env }))![1]!;
  const root = join(work, 'www');
  const path = `k8s/core:/stable:/v${minor}/deb/`;
  const repo = join(root, path);
  mkdirSync(repo, { recursive: true });
  writeFileSync(join(repo, 'Release.key'), run('gpg', ['--batch', '--armor', '--export', fingerprint], { env }));

  const version = `${minor}.1-1.1`;
  const criToolsVersion = `${minor}.0-1.1`;
  const build = (name: string, ver: string, files: Record<string, { text: string; mode?: number }>, extra: string[] = []): void => {
    const pkg = join(work, `pkg-${name}`);
    mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
    for (const [p, f] of Object.entries(files)) {
      mkdirSync(join(pkg, p, '..'), { recursive: true });
      writeFileSync(join(pkg, p), f.text, { mode: f.mode ?? 0o644 });
    }
    const control = [`Package: ${name}`, `Version: ${ver}`, 'Architecture: all', ...extra, 'Maintainer: crinit e2e <e2e@crinit.invalid>', `Description: stand-in for ${name} in crinit's boot tests`, ''];
    writeFileSync(join(pkg, 'DEBIAN/control'), control.join('\n'));
    if (files['etc/default/kubelet']) writeFileSync(join(pkg, 'DEBIAN/conffiles'), '/etc/default/kubelet\n');
    run('dpkg-deb', ['--root-owner-group', '--build', pkg, join(repo, `${name}_${ver}_all.deb`)]);
  };
  build('kubelet', version, {
    'etc/default/kubelet': { text: 'KUBELET_EXTRA_ARGS=\n' },
    'usr/bin/kubelet': {
      text: '#!/bin/sh\nmkdir -p /run/crinit-e2e\nprintf "%s\\n" "$@" > /run/crinit-e2e/kubelet-args\nenv | grep -i "_proxy=" | sort > /run/crinit-e2e/kubelet-env\nexec sleep infinity\n',
      mode: 0o755,
    },
    'lib/systemd/system/kubelet.service': {
      text: '[Unit]\nDescription=kubelet stand-in\n[Service]\nEnvironmentFile=-/etc/default/kubelet\nExecStart=/usr/bin/kubelet $KUBELET_EXTRA_ARGS\nRestart=always\n[Install]\nWantedBy=multi-user.target\n',
    },
  });
  build('kubeadm', version, { 'usr/share/doc/kubeadm/README.crinit': { text: 'stand-in\n' } }, [`Depends: kubelet (= ${version}), cri-tools`]);
  build('kubectl', version, { 'usr/share/doc/kubectl/README.crinit': { text: 'stand-in\n' } });
  build('cri-tools', criToolsVersion, { 'usr/share/doc/cri-tools/README.crinit': { text: 'stand-in\n' } });
  writeFileSync(join(repo, 'Packages'), run('apt-ftparchive', ['packages', '.'], { cwd: repo }));
  writeFileSync(join(repo, 'Release'), run('apt-ftparchive', ['release', '.'], { cwd: repo }));
  run('gpg', ['--batch', '--yes', '--default-key', fingerprint, '--clearsign', '-o', join(repo, 'InRelease'), join(repo, 'Release')], { env });
  return { root, path, fingerprint, version, criToolsVersion };
}
