/**
 * @fileoverview Building the NodePlan from a normalized Profile. Each contributor adds the plan
 * items for one concern; the first-boot steps are then derived from the items, in one fixed
 * order, so every backend sees the same sequence.
 */
import type { Origin } from '../diagnostics.js';
import { MODULES_LOAD_PATH, SYSCTL_PATH, UNIT_DIR } from '../paths.js';
import { RUNTIME_DROPIN, type Locator } from '../profile/normalize.js';
import { joinPointer } from '../profile/source.js';
import type { Profile } from '../profile/types.js';
import type { NodePlan, PlanDirectory, PlanFile, PlanLink, PlanMask, PlanModule, PlanPackage, PlanRepo, PlanService, PlanStep, PlanSysctl } from './types.js';


/** The server a registry host's hosts.toml names (docker.io's API lives elsewhere). */
export function registryServer(host: string): string | undefined {
  if (host === '_default') return undefined;
  if (host === 'docker.io') return 'https://registry-1.docker.io';
  return `https://${host}`;
}

/**
 * The containerd config.toml version: what the packaging says (a runtime built into an image
 * whose exact containerd crinit cannot know), else 2 for 1.x and 3 for 2.x.
 */
export function containerdConfigVersion(major: number, configured?: 2 | 3): 2 | 3 {
  return configured ?? (major >= 2 ? 3 : 2);
}

/** buildPlan turns a Profile into a NodePlan. It does not render file contents. */
export function buildPlan(profile: Profile, name: string, L: Locator): NodePlan {
  const at = (pointer: string): Origin => L.origin(pointer);
  const crinit = (what: string): Origin => ({ layer: 'crinit', file: '(generated)', pointer: what });
  const rt = profile.runtime;
  const ctrd = profile.containerd;
  const srcPtr = `/packaging/${rt.name}/${rt.source}`;
  const header = { profile: name, chain: profile.chain };

  // Kernel prerequisites.
  const modules: PlanModule[] = profile.kernel.modules.map((m, i) => ({ name: m, origin: at(`/kernel/modules/${i}`) }));
  const sysctls: PlanSysctl[] = profile.kernel.sysctls.map(([key, value]) => ({
    key,
    value,
    origin: at(joinPointer(['kernel', 'sysctls', key])),
  }));

  const files: PlanFile[] = [
    {
      path: MODULES_LOAD_PATH,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      phase: 'before-packages',
      source: { template: 'modules-load.conf.hbs', context: { ...header, modules: modules.map((m) => m.name) } },
      origin: at('/kernel/modules'),
    },
    {
      path: SYSCTL_PATH,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      phase: 'before-packages',
      source: { template: 'sysctl.conf.hbs', context: { ...header, sysctls: sysctls.map((s) => ({ key: s.key, value: s.value })) } },
      origin: at('/kernel/sysctls'),
    },
  ];

  // The runtime: repository, package, configuration, service.
  const repos: PlanRepo[] = [];
  if (profile.repo) {
    const r = profile.repo;
    repos.push({
      id: r.id,
      description: r.description ?? r.id,
      key: { name: r.key.name, fingerprint: r.key.fingerprint, armored: r.key.armored },
      ...(r.apt ? { apt: r.apt } : {}),
      ...(r.yum ? { yum: r.yum } : {}),
      origin: at(joinPointer(['repos', r.id])),
    });
  }
  const versionOrigin = at(rt.version.raw === profile.packaging.version ? `${srcPtr}/version` : '/runtime/version');
  // A runtime built into the image has no package: the image's own is used, as it is.
  const packages: PlanPackage[] =
    rt.source === 'builtin' || !profile.packaging.package
      ? []
      : [
          {
            name: profile.packaging.package,
            version: rt.version,
            patchSuffix: profile.packaging.patchSuffix ?? '-',
            hold: true,
            origin: versionOrigin,
          },
        ];
  const conflicts = rt.source === 'upstream' ? (profile.packaging.conflicts ?? []) : [];

  const socketEndpoint = `unix://${ctrd.socket}`;
  const mirrors = rt.registryMirrors.map(([host, urls]) => ({ host, server: registryServer(host), urls }));
  files.push(
    ...mirrors.map(
      (m): PlanFile => ({
        path: `${ctrd.certsDir}/${m.host}/hosts.toml`,
        mode: 0o644,
        owner: 'root',
        group: 'root',
        phase: 'before-packages',
        source: { template: 'containerd/hosts.toml.hbs', context: { ...header, ...m } },
        origin: at(joinPointer(['runtime', 'registryMirrors', m.host])),
      }),
    ),
    {
      path: ctrd.crictlConfigPath,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      phase: 'before-packages',
      source: { template: 'crictl.yaml.hbs', context: { ...header, endpoint: socketEndpoint } },
      origin: at('/containerd/crictlConfigPath'),
    },
    {
      path: profile.kubelet.configFragmentPath,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      phase: 'before-packages',
      source: {
        template: 'kubelet-config.yaml.hbs',
        context: { ...header, cgroupDriver: rt.cgroupDriver, endpoint: socketEndpoint },
      },
      origin: at('/runtime/cgroupDriver'),
    },
    {
      // containerd.io ships /etc/containerd/config.toml with `disabled_plugins = ["cri"]`, as a
      // dpkg conffile / rpm %config(noreplace). Writing ours after the package is installed
      // means no package manager can keep its copy over ours, on either family.
      path: ctrd.configPath,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      phase: 'after-packages',
      source: {
        template:
          containerdConfigVersion(rt.version.major, profile.packaging.configVersion) === 3 ? 'containerd/config-v3.toml.hbs' : 'containerd/config-v2.toml.hbs',
        context: {
          ...header,
          systemdCgroup: rt.cgroupDriver === 'systemd',
          sandboxImage: rt.sandboxImage,
          certsDir: ctrd.certsDir,
        },
      },
      origin: at('/runtime'),
    },
  );

  // A unit that reads its config from elsewhere (Flatcar's, from /usr/share) is pointed at ours.
  if (profile.packaging.execStart) {
    files.push({
      path: `${UNIT_DIR}/${ctrd.service}.d/${RUNTIME_DROPIN}`,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      phase: 'before-packages',
      source: {
        template: 'containerd/use-config.conf.hbs',
        context: { ...header, execStart: profile.packaging.execStart, configPath: ctrd.configPath },
      },
      dropin: { unit: ctrd.service, name: RUNTIME_DROPIN },
      origin: at(`${srcPtr}/execStart`),
    });
  }

  // The user's own files, in merge order.
  profile.files.forEach((f, i) => {
    const [owner, group] = (f.owner ?? 'root:root').split(':') as [string, string | undefined];
    files.push({
      path: f.path,
      mode: parseInt(f.mode ?? '0644', 8),
      owner,
      group: group ?? owner,
      phase: f.when ?? 'before-packages',
      source: { inline: f.content },
      origin: at(`/files/${i}`),
    });
  });

  const directories: PlanDirectory[] = [{ path: ctrd.certsDir, mode: 0o755, origin: at('/containerd/certsDir') }];
  // A built-in runtime starts on the config Ignition wrote before systemd ran: no restart.
  const builtin = rt.source === 'builtin';
  const services: PlanService[] = [
    {
      unit: ctrd.service,
      enable: profile.packaging.enable ?? true,
      restart: !builtin,
      socket: ctrd.socket,
      origin: at('/containerd/service'),
    },
  ];
  const masks: PlanMask[] = (profile.packaging.mask ?? []).map((unit, i) => ({ unit, origin: at(`${srcPtr}/mask/${i}`) }));
  const links: PlanLink[] = (profile.packaging.disableSysexts ?? []).map((name, i) => ({
    path: `/etc/extensions/${name}.raw`,
    target: '/dev/null',
    origin: at(`${srcPtr}/disableSysexts/${i}`),
  }));

  // First-boot steps, in the order the Kubernetes guide implies: kernel first (the bridge
  // sysctls exist only once br_netfilter is loaded), then packages, then configuration that
  // replaces packaged files, then the services that read it.
  const steps: PlanStep[] = [
    { id: 'load-kernel-modules', action: { kind: 'load-modules', modules: modules.map((m) => m.name) }, origin: at('/kernel/modules') },
    { id: 'apply-sysctls', action: { kind: 'apply-sysctls' }, origin: at('/kernel/sysctls') },
  ];
  if (conflicts.length > 0) {
    steps.push({ id: 'remove-conflicting-packages', action: { kind: 'remove-packages', packages: conflicts }, origin: at(`${srcPtr}/conflicts`) });
  }
  if (packages.length > 0) {
    steps.push(
      { id: 'refresh-package-index', action: { kind: 'refresh-package-index' }, origin: crinit('packages') },
      { id: 'install-packages', action: { kind: 'install-packages', packages }, origin: versionOrigin },
    );
  }
  const late = files.filter((f) => f.phase === 'after-packages');
  if (late.length > 0) {
    steps.push({ id: 'install-config-files', action: { kind: 'place-files', paths: late.map((f) => f.path) }, origin: at('/runtime') });
  }
  const held = packages.filter((p) => p.hold).map((p) => p.name);
  if (held.length > 0) steps.push({ id: 'hold-packages', action: { kind: 'hold-packages', packages: held }, origin: versionOrigin });
  steps.push(
    { id: 'create-directories', action: { kind: 'create-directories', paths: directories.map((d) => d.path) }, origin: at('/containerd/certsDir') },
    { id: 'systemd-daemon-reload', action: { kind: 'daemon-reload' }, origin: crinit('services') },
  );
  if (masks.length > 0) {
    steps.push({ id: 'mask-units', action: { kind: 'mask-units', units: masks.map((m) => m.unit) }, origin: at(`${srcPtr}/mask`) });
  }
  for (const s of services) {
    const base = s.unit.replace(/\.service$/, '');
    if (s.enable) steps.push({ id: `enable-${base}`, action: { kind: 'enable-service', unit: s.unit }, origin: s.origin });
    if (s.restart) steps.push({ id: `restart-${base}`, action: { kind: 'restart-service', unit: s.unit }, origin: s.origin });
    if (s.socket) steps.push({ id: `wait-for-${base}-socket`, action: { kind: 'wait-for-socket', path: s.socket }, origin: s.origin });
  }
  profile.commands.forEach((c, i) => {
    steps.push({
      id: `user-command-${i + 1}`,
      action: typeof c === 'string' ? { kind: 'run-shell', script: c } : { kind: 'run-command', argv: c },
      origin: at(`/commands/${i}`),
    });
  });

  return {
    target: { distro: profile.distro, runtime: rt.name, source: rt.source },
    name,
    chain: profile.chain,
    repos,
    packages,
    directories,
    files,
    modules,
    sysctls,
    services,
    masks,
    links,
    ignitionSnippets: profile.ignition.snippets.map((path, i) => ({ path, origin: at(`/ignition/snippets/${i}`) })),
    ...(profile.ignition.version ? { ignitionVersion: { value: profile.ignition.version, origin: at('/ignition/version') } } : {}),
    kubelet: { cgroupDriver: rt.cgroupDriver, runtimeEndpoint: socketEndpoint, origin: at('/runtime/cgroupDriver') },
    steps,
  };
}
