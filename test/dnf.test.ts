/**
 * dnf converges on a re-run, run for real (Debian's dnf 4.14 with its versionlock plugin, in an
 * installroot, against a local repository of rpms built here): the commands of crinit's
 * refresh, release-holds, install and hold steps, taken from a rendered rhel-9 output, install
 * the newest release of the pin and lock it; when a newer patch is published and the steps run
 * again (a new instance-id), they move to it and lock it again. A plain `dnf install` would not.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCloudConfig } from './cloud-config.js';
import { compile } from '../dist/index.js';
import { needTool, tempDir } from './helpers.js';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
  return r.stdout;
}

describe('dnf re-runs (real dnf, versionlock, installroot)', () => {
  it('moves a locked package to the newest release of its pin on a re-run, and locks it again', (ctx) => {
    for (const [tool, pkg] of [['dnf', 'dnf'], ['rpmbuild', 'rpm'], ['createrepo_c', 'createrepo-c']] as const) needTool(ctx, tool, pkg);
    if (!existsSync('/usr/lib/python3/dist-packages/dnf-plugins/versionlock.py')) needTool(ctx, 'dnf-versionlock-plugin', 'dnf-plugins-core');
    const dir = tempDir('crinit-dnf-');
    const top = join(dir, 'rpmbuild');
    mkdirSync(join(top, 'SPECS'), { recursive: true });
    writeFileSync(join(top, 'SPECS', 'demo.spec'), 'Name: crinit-demo\nVersion: %{ver}\nRelease: 1\nSummary: demo\nLicense: MIT\nBuildArch: noarch\n%description\ndemo\n%files\n');
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const publish = (ver: string): void => {
      run('rpmbuild', ['--define', `_topdir ${top}`, '--define', `ver ${ver}`, '-bb', join(top, 'SPECS', 'demo.spec')]);
      for (const f of readdirSync(join(top, 'RPMS', 'noarch'))) copyFileSync(join(top, 'RPMS', 'noarch', f), join(repo, f));
      run('createrepo_c', ['-q', repo]);
    };
    // dnf, pointed at the installroot and the local repository; everything else as on the node.
    mkdirSync(join(dir, 'plugins'));
    writeFileSync(join(dir, 'plugins', 'versionlock.conf'), `[main]\nenabled=1\nlocklist=${join(dir, 'versionlock.list')}\n`);
    writeFileSync(join(dir, 'versionlock.list'), '');
    mkdirSync(join(dir, 'repos.d'));
    writeFileSync(join(dir, 'dnf.conf'), `[main]\ngpgcheck=0\nreposdir=${join(dir, 'repos.d')}\npluginconfpath=${join(dir, 'plugins')}\ncachedir=${join(dir, 'cache')}\ninstall_weak_deps=0\n[demo]\nname=demo\nbaseurl=file://${repo}\nenabled=1\ngpgcheck=0\n`);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'dnf'), `#!/bin/sh\nexec /usr/bin/dnf -c ${join(dir, 'dnf.conf')} --installroot=${join(dir, 'root')} --releasever=9 "$@"\n`);
    chmodSync(join(bin, 'dnf'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

    // The steps' commands, from crinit's own rhel-9 output, with the demo package in place of
    // containerd.io (their "$@" and pins are the packages).
    const doc = readCloudConfig(compile({ profile: 'rhel-9/containerd' }).output!);
    const step = (id: string) => {
      const line = doc.runcmd.find((l) => l[1] === id)!;
      return line.slice(line.indexOf('--') + 1);
    };
    const refresh = step('refresh-package-index');
    const release = step('release-holds');
    const install = step('install-packages');
    const hold = step('hold-packages');
    expect(install.at(-1)).toBe('containerd.io-2.3.*');
    const firstBoot = (): void => {
      run(refresh[0]!, refresh.slice(1), env);
      run(release[0]!, [...release.slice(1, -1), 'crinit-demo'], env);
      run(install[0]!, [...install.slice(1, -1), 'crinit-demo-1.2.*'], env);
      run(hold[0]!, [...hold.slice(1, -1), 'crinit-demo'], env);
    };
    const installed = () => run('rpm', ['--root', join(dir, 'root'), '-q', 'crinit-demo']).trim();
    const locks = () => run('dnf', ['-q', 'versionlock', 'list'], env).trim();

    publish('1.2.3');
    firstBoot();
    expect(installed()).toBe('crinit-demo-1.2.3-1.noarch');
    expect(locks()).toBe('crinit-demo-0:1.2.3-1.*');

    // A newer patch appears. A plain install leaves the package where it is...
    publish('1.2.4');
    run('dnf', ['-y', '-q', 'makecache', '--refresh'], env);
    run('dnf', ['-y', '-q', 'install', 'crinit-demo-1.2.*'], env);
    expect(installed()).toBe('crinit-demo-1.2.3-1.noarch');
    // ...crinit's steps, run again, move it to 1.2.4 and lock that.
    firstBoot();
    expect(installed()).toBe('crinit-demo-1.2.4-1.noarch');
    expect(locks()).toBe('crinit-demo-0:1.2.4-1.*');
    // And once more with nothing new: nothing changes, the steps pass.
    firstBoot();
    expect(installed()).toBe('crinit-demo-1.2.4-1.noarch');
  });
});
