/**
 * Every embedded config, parsed back with a real parser (smol-toml for TOML, yaml and PyYAML
 * for YAML), holds what the Kubernetes container-runtime guide requires.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DISTROS, ROOT } from './helpers.js';
import { needPyYaml, pyYamlLoad } from './pyyaml.js';
import { readAsPyYaml } from '../dist/backends/cloud-init/pyyaml.js';
import { doc, fileContent, inlineKeySource, parseModules, parseSysctl, render, yumRepo } from './cloud-config.js';

type Toml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(DISTROS)('%s/containerd parses back', (distro) => {
  const { doc } = render(`${distro}/containerd`);
  const config = parseToml(fileContent(doc, '/var/lib/crinit/staged/etc/containerd/config.toml')) as Toml;

  it('config.toml: version 3, runc SystemdCgroup = true, the sandbox image, CRI not disabled', () => {
    expect(config.version).toBe(3);
    expect(config.disabled_plugins).toEqual([]);
    const runtime = config.plugins['io.containerd.cri.v1.runtime'];
    expect(runtime.containerd.runtimes.runc.runtime_type).toBe('io.containerd.runc.v2');
    expect(runtime.containerd.runtimes.runc.options.SystemdCgroup).toBe(true);
    const images = config.plugins['io.containerd.cri.v1.images'];
    expect(images.pinned_images.sandbox).toBe('registry.k8s.io/pause:3.10.2');
    expect(images.registry.config_path).toBe('/etc/containerd/certs.d');
    expect(JSON.stringify(config)).not.toContain('mirrors');
  });

  it('the staged config.toml is installed at /etc/containerd/config.toml after the package, then containerd restarts', () => {
    const ids = doc.runcmd.map((c) => c[1]);
    const install = doc.runcmd.find((c) => c[1] === 'install-config-files')!;
    expect(install.slice(-2)).toEqual(['/var/lib/crinit/staged/etc/containerd/config.toml', '/etc/containerd/config.toml']);
    expect(ids.indexOf('install-packages')).toBeLessThan(ids.indexOf('install-config-files'));
    expect(ids.indexOf('install-config-files')).toBeLessThan(ids.indexOf('restart-containerd'));
    expect(ids.indexOf('restart-containerd')).toBeLessThan(ids.indexOf('wait-for-containerd-socket'));
    expect(doc.runcmd.at(-1)!.slice(1, 2)).toEqual(['--finish']);
  });

  it('modules-load and sysctl.d hold the guide prerequisites, and first boot loads and applies them', () => {
    expect(parseModules(fileContent(doc, '/etc/modules-load.d/crinit-k8s.conf'))).toEqual(['overlay', 'br_netfilter']);
    expect(parseSysctl(fileContent(doc, '/etc/sysctl.d/99-crinit-k8s.conf'))).toEqual({
      'net.bridge.bridge-nf-call-iptables': '1',
      'net.bridge.bridge-nf-call-ip6tables': '1',
      'net.ipv4.ip_forward': '1',
    });
    const ids = doc.runcmd.map((c) => c[1]);
    // The run begins (a new run per instance), then the kernel comes first.
    expect(doc.runcmd[0]!.slice(1, 2)).toEqual(['--begin']);
    expect(doc.runcmd[1]!.slice(3)).toEqual(['modprobe', '-a', 'overlay', 'br_netfilter']);
    expect(doc.runcmd[2]!.slice(3)).toEqual(['sysctl', '--system']);
    expect(ids.indexOf('load-kernel-modules')).toBeLessThan(ids.indexOf('apply-sysctls'));
  });

  it('kubelet fragment and crictl.yaml agree with containerd on driver and socket', () => {
    const kubelet = parseYaml(fileContent(doc, '/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf')) as Record<string, string>;
    expect(kubelet).toEqual({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      cgroupDriver: 'systemd',
      containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
    });
    const crictl = parseYaml(fileContent(doc, '/etc/crictl.yaml')) as Record<string, unknown>;
    expect(crictl['runtime-endpoint']).toBe('unix:///run/containerd/containerd.sock');
  });

  it('holds the runtime package', () => {
    const hold = doc.runcmd.find((c) => c[1] === 'hold-packages')!;
    expect(hold.slice(3)).toEqual(distro.startsWith('ubuntu') || distro.startsWith('debian') ? ['apt-mark', 'hold', 'containerd.io'] : ['dnf', '-q', 'versionlock', 'add', distro === 'amazonlinux-2023' ? 'containerd' : 'containerd.io']);
  });
});

describe('variants parse back', () => {
  it('cgroupfs: SystemdCgroup = false and the kubelet says cgroupfs (one value, two files)', () => {
    const { doc } = render('ubuntu-24.04/containerd', ['runtime.cgroupDriver=cgroupfs']);
    const config = parseToml(fileContent(doc, '/var/lib/crinit/staged/etc/containerd/config.toml')) as Toml;
    expect(config.plugins['io.containerd.cri.v1.runtime'].containerd.runtimes.runc.options.SystemdCgroup).toBe(false);
    const kubelet = parseYaml(fileContent(doc, '/etc/kubernetes/kubelet.conf.d/50-crinit-runtime.conf')) as Record<string, string>;
    expect(kubelet.cgroupDriver).toBe('cgroupfs');
  });

  it('containerd 1.x gets a version 2 config with sandbox_image and SystemdCgroup', () => {
    const { doc } = render('debian-12/containerd', ['runtime.source=distro', 'runtime.sandboxImage=registry.example.com/pause:3.9']);
    const config = parseToml(fileContent(doc, '/var/lib/crinit/staged/etc/containerd/config.toml')) as Toml;
    expect(config.version).toBe(2);
    expect(config.disabled_plugins).toEqual([]);
    const cri = config.plugins['io.containerd.grpc.v1.cri'];
    expect(cri.sandbox_image).toBe('registry.example.com/pause:3.9');
    expect(cri.containerd.runtimes.runc.options.SystemdCgroup).toBe(true);
    expect(cri.registry.config_path).toBe('/etc/containerd/certs.d');
    expect(cri.registry.mirrors).toBeUndefined();
    expect(doc.apt).toBeUndefined();
    expect(doc.runcmd.find((c) => c[1] === 'install-packages')!.at(-1)).toBe('containerd=1.6.*');
  });

  it('runtime.version "2.3.5" pins the release, "2" the major, an exact string verbatim', () => {
    const pin = (set: string[]) => render('ubuntu-24.04/containerd', set).doc.runcmd.find((c) => c[1] === 'install-packages')!.at(-1);
    expect(pin(['runtime.version="2.3.5"'])).toBe('containerd.io=2.3.5-*');
    expect(pin(['runtime.version="2"'])).toBe('containerd.io=2.*');
    expect(pin(['runtime.version=2.3.5-1~ubuntu.24.04~noble'])).toBe('containerd.io=2.3.5-1~ubuntu.24.04~noble');
    const rhel = render('rhel-9/containerd', ['runtime.version="1.7"']);
    expect(rhel.doc.runcmd.find((c) => c[1] === 'install-packages')!.at(-1)).toBe('containerd.io-1.7.*');
    expect((parseToml(fileContent(rhel.doc, '/var/lib/crinit/staged/etc/containerd/config.toml')) as Toml).version).toBe(2);
  });

  it('registry mirrors become certs.d/HOST/hosts.toml, in order, and config_path points there', () => {
    const { doc } = render('ubuntu-24.04/containerd', [
      'runtime.registryMirrors={"docker.io": ["https://a.example.com", "http://b.example.com:5000/v2"], "registry.example.com:5000": ["https://c.example.com"]}',
    ]);
    const docker = parseToml(fileContent(doc, '/etc/containerd/certs.d/docker.io/hosts.toml')) as Toml;
    expect(docker.server).toBe('https://registry-1.docker.io');
    expect(Object.keys(docker.host)).toEqual(['https://a.example.com', 'http://b.example.com:5000/v2']);
    expect(docker.host['https://a.example.com'].capabilities).toEqual(['pull', 'resolve']);
    const other = parseToml(fileContent(doc, '/etc/containerd/certs.d/registry.example.com:5000/hosts.toml')) as Toml;
    expect(other.server).toBe('https://registry.example.com:5000');
  });

  it("apt repositories trust one key: fetched and checked before the source is placed, or given in the profile and written beside it; dnf .repo files a pinned local key", () => {
    // No cloud-init module turns a key into a keyring: Debian's cloud images have no gpg for it.
    const deb = render('debian-13/containerd').doc;
    expect(deb.apt!.preserve_sources_list).toBe(true);
    const staged = '/var/lib/crinit/staged/etc/apt/sources.list.d/crinit-docker.list';
    expect(fileContent(deb, staged).split('\n').filter((l) => l.startsWith('deb '))).toEqual(['deb [signed-by=/etc/apt/keyrings/crinit-docker.asc] https://download.docker.com/linux/debian trixie stable']);
    expect(deb.write_files.map((f) => f.path)).not.toContain('/etc/apt/keyrings/crinit-docker.asc');
    // The key is fetched, checked against the fingerprint, and only then is the source placed.
    const steps = deb.runcmd.map((l) => l[1]);
    const fetch = deb.runcmd.find((l) => l[1] === 'fetch-key-docker')!;
    expect(fetch.slice(-3)).toEqual(['https://download.docker.com/linux/debian/gpg', '9DC858229FC7DD38854AE2D88D81803C0EBFCD88', '/etc/apt/keyrings/crinit-docker.asc']);
    expect(steps.indexOf('fetch-key-docker')).toBeLessThan(steps.indexOf('add-repository-docker'));
    expect(steps.indexOf('add-repository-docker')).toBeLessThan(steps.indexOf('refresh-package-index'));
    expect(deb.runcmd.find((l) => l[1] === 'add-repository-docker')!.slice(-2)).toEqual([staged, '/etc/apt/sources.list.d/crinit-docker.list']);
    // A key the profile carries is written beside its source in the init stage instead.
    const armored = readFileSync(join(ROOT, 'test/fixtures/keys/docker-deb.asc'), 'utf8');
    const own = doc('debian-13/containerd', [`keys.docker-deb=${JSON.stringify({ fingerprint: '9DC858229FC7DD38854AE2D88D81803C0EBFCD88', armored })}`]);
    const src = inlineKeySource(own, 'docker');
    expect(src.line).toBe('deb [signed-by=/etc/apt/keyrings/crinit-docker.asc] https://download.docker.com/linux/debian trixie stable');
    expect(src.key).toBe(armored);
    const paths = own.write_files.map((f) => f.path);
    expect(paths.indexOf('/etc/apt/keyrings/crinit-docker.asc')).toBeLessThan(paths.indexOf('/etc/apt/sources.list.d/crinit-docker.list'));
    expect(own.runcmd.map((l) => l[1])).not.toContain('fetch-key-docker');
    const rpm = render('rhel-9/containerd').doc;
    expect(yumRepo(rpm, 'docker')).toEqual({
      name: "Docker's RHEL repository (download.docker.com); Rocky and Alma use it too",
      baseurl: 'https://download.docker.com/linux/rhel/9/$basearch/stable',
      enabled: '1',
      gpgcheck: '1',
      gpgkey: 'file:///etc/pki/rpm-gpg/crinit-docker.asc',
    });
    expect(rpm.runcmd.find((l) => l[1] === 'fetch-key-docker')!.slice(-3)).toEqual(['https://download.docker.com/linux/rhel/gpg', '060A61C51B558A7F742B77AAC52FEB6B621E9F35', '/etc/pki/rpm-gpg/crinit-docker.asc']);
  });

  it("PyYAML, the parser cloud-init uses, reads every output exactly as yaml and the verify step's reader do", (ctx) => {
    needPyYaml(ctx);
    const texts = DISTROS.map((d) => render(`${d}/containerd`).text);
    const back = pyYamlLoad(texts);
    texts.forEach((t, i) => {
      expect(back[i]).toEqual(parseYaml(t, { version: '1.1' }));
      expect(readAsPyYaml(t)).toEqual(back[i]);
    });
  });
});
