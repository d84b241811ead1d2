/**
 * A signed apt repository built on the host, standing in for Docker's download.docker.com
 * (which these machines cannot reach), so that crinit's default `upstream` path is booted too:
 * the source and its armored key written as files ([signed-by=…asc]), a pinned `containerd.io`
 * version, the hold, and the config installed over the packaged one; and, with publish(), a
 * newer patch release for a re-run to move to.
 *
 * Its package, `containerd.io` 1.7.99-1~crinit (and what publish() adds), is built the way
 * Docker's is: containerd and runc in one package (here Debian's own builds, repackaged) that
 * provides, conflicts with and replaces `containerd` and `runc`, ships a config.toml conffile with
 * `disabled_plugins = ["cri"]`, and enables and starts containerd.service from its maintainer
 * scripts. The repository is signed with a throw-away ed25519 key made for the run. Needs gpg,
 * apt-get, dpkg-deb and apt-ftparchive.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeRepo {
  readonly root: string;
  readonly armoredKey: string;
  readonly fingerprint: string;
  readonly suite: string;
  readonly component: string;
  readonly version: string;
  /** Adds another containerd.io release (a newer patch, say) and signs the repository anew. */
  readonly publish: (version: string) => void;
}

function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, ...opts.env }, input: opts.input, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * standInContainerdIo lays out the package tree of a containerd.io stand-in: Debian's containerd
 * and runc (downloaded once by apt-get from this machine's Debian archive) merged into one package
 * with containerd.io's relations and its default config.toml.
 */
function standInContainerdIo(work: string, version: string): string {
  const debs = join(work, 'debs');
  if (!existsSync(debs)) {
    mkdirSync(debs);
    run('apt-get', ['download', '-q', 'containerd', 'runc'], { cwd: debs });
  }
  const files = readdirSync(debs);
  const containerd = files.find((f) => f.startsWith('containerd_'))!;
  const runc = files.find((f) => f.startsWith('runc_'))!;
  const tree = join(work, `pkg-${version}`);
  rmSync(tree, { recursive: true, force: true });
  run('dpkg-deb', ['-R', join(debs, containerd), tree]);
  run('dpkg-deb', ['-x', join(debs, runc), tree]);
  rmSync(join(tree, 'DEBIAN/md5sums'), { force: true });
  writeFileSync(
    join(tree, 'DEBIAN/control'),
    [
      'Package: containerd.io',
      `Version: ${version}`,
      'Architecture: amd64',
      'Depends: libc6 (>= 2.34), libseccomp2 (>= 2.5.0)',
      'Provides: containerd, runc',
      'Conflicts: containerd, runc',
      'Replaces: containerd, runc',
      'Maintainer: crinit e2e <e2e@crinit.invalid>',
      "Description: stand-in for Docker's containerd.io in crinit's boot tests (Debian's containerd and runc)",
      '',
    ].join('\n'),
  );
  // containerd.io's own default: the CRI plugin off, which crinit's config must undo.
  writeFileSync(join(tree, 'etc/containerd/config.toml'), '#   Copyright 2018-2022 Docker Inc. (stand-in)\ndisabled_plugins = ["cri"]\n');
  return tree;
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

  const root = join(work, 'repo');
  const component = 'stable';
  const pool = join(root, 'pool', component);
  const dists = join(root, 'dists', suite);
  const binary = join(dists, component, 'binary-amd64');
  mkdirSync(pool, { recursive: true });
  mkdirSync(binary, { recursive: true });
  // Adds a containerd.io release to the pool and signs the index anew, as a new patch release
  // appearing upstream would.
  const publish = (version: string): void => {
    const pkg = standInContainerdIo(work, version);
    run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', pkg, join(pool, `containerd.io_${version.replace(/^\d+:/, '')}_amd64.deb`)]);
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
  };
  const version = '1.7.99-1~crinit';
  publish(version);
  return { root, armoredKey, fingerprint, suite, component, version, publish };
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
