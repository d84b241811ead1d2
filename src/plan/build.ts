/**
 * @fileoverview Building the NodePlan from a normalized Profile. Each contributor adds the plan
 * items for one concern; the first-boot steps are then derived from the items, in one fixed
 * order, so every backend sees the same sequence.
 */
import type { Origin } from '../diagnostics.js';
import { FIRST_BOOT, archiveDownloadPath, unpackUnitName } from '../os/first-boot.js';
import { APT_PROXY_PATH, FETCH_KEY_NAME, STATE_DIR, MODULES_LOAD_PATH, PROXY_DROPIN, PROXY_ENV_PATH, STEP_NAME, SYSCTL_PATH, UNIT_DIR } from '../paths.js';
import type { Locator } from '../profile/normalize.js';
import { joinPointer } from '../profile/source.js';
import type { Profile } from '../profile/types.js';
import { packageManager, repoKeyPath, repositoryFile } from '../os/package-managers.js';
import { file, imageRegistry, mirrorFn } from './nodes.js';
import { RUNTIME_CONTRIBUTORS } from './runtimes/index.js';
export { imageRegistry, mirrorFn, registryServer } from './nodes.js';
import type { NodePlan, PlanMachinery, PlanArtifact, PlanDirectory, PlanDownload, PlanFile, PlanLink, PlanMask, PlanModule, PlanPackage, PlanRepo, PlanService, PlanStep, PlanSysctl } from './types.js';




/** What dnf keeps out of the Kubernetes repository unless an install names it (the kubeadm guide's exclude=). */
export const KUBERNETES_EXCLUDE = ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'];



/** buildPlan turns a Profile into a NodePlan. It does not render file contents. */
export function buildPlan(original: Profile, name: string, L: Locator): NodePlan {
  const at = (pointer: string): Origin => L.origin(pointer);
  const crinit = (what: string): Origin => ({ layer: 'crinit', file: '(generated)', pointer: what });
  const mirror = mirrorFn(original.mirrors);
  // Everything below sees the pause image as the node pulls it: through the mirrors.
  const profile: Profile = { ...original, runtime: { ...original.runtime, sandboxImage: mirror(original.runtime.sandboxImage) } };
  const rt = profile.runtime;
  const k8s = profile.kubernetes;
  const k8sOrigin = at('/kubernetes/version');
  const artifacts: PlanArtifact[] = [];
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
    // crinit's own first-boot machinery: every backend runs each step through it.
    file(`${profile.distro.binDir}/${STEP_NAME}`, 'crinit-step.sh.hbs', {}, crinit('the first-boot step runner, crinit-step'), { mode: 0o755 }),
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
  const repos: PlanRepo[] = profile.repos.map((r): PlanRepo => {
    const origin = at(joinPointer(['repos', r.id]));
    const keyUrl = r.key.url ? mirror(r.key.url) : undefined;
    const repo: PlanRepo = {
      id: r.id,
      description: r.description ?? r.id,
      key: { name: r.key.name, fingerprint: r.key.fingerprint, ...(r.key.armored ? { armored: r.key.armored } : { url: keyUrl! }) },
      ...(r.apt ? { apt: { ...r.apt, uri: mirror(r.apt.uri) } } : {}),
      ...(r.yum ? { yum: { baseurl: mirror(r.yum.baseurl) } } : {}),
      ...(k8s && r.id === k8s.repo ? { exclude: KUBERNETES_EXCLUDE } : {}),
      origin,
    };
    const upstream = r.apt?.uri ?? r.yum?.baseurl ?? '';
    artifacts.push({ kind: 'repository', id: r.id, url: repo.apt?.uri ?? repo.yum?.baseurl ?? '', upstream, fingerprint: r.key.fingerprint, origin });
    if (r.key.url) artifacts.push({ kind: 'key', url: keyUrl!, upstream: r.key.url, fingerprint: r.key.fingerprint, origin: at(joinPointer(['keys', r.key.name])) });
    return repo;
  });
  // Each repository is plain files with its key pinned: no cloud-init module reads a key (Debian's
  // cloud images have no gpg for the apt module to dearmor with, and cloud-init 22.x runs
  // yum_repos only on the distros of its own list). An armored key is written beside its
  // repository; a key pinned by fingerprint only is installed by its fetch-key step once checked,
  // and on apt its source waits for it (phase after-key).
  const pm = packageManager(profile.distro.packageManager);
  const firstBoot = FIRST_BOOT[profile.distro.backend];
  // One copy of the key fetcher, whatever the number of repositories whose key it fetches.
  if (firstBoot.keyFetcher === 'python-script' && repos.some((r) => r.key.url)) {
    files.unshift(file(`${profile.distro.binDir}/${FETCH_KEY_NAME}`, 'crinit-fetch-key.py.hbs', {}, crinit('the key fetcher, crinit-fetch-key'), { mode: 0o755 }));
  }
  // The sources placed only once their key is fetched, by repository.
  const afterKey = new Map<string, string>();
  for (const r of repos) {
    const keyPath = repoKeyPath(pm.name, r.id);
    if (r.key.armored && pm.repositories) files.push({ ...file(keyPath, '', {}, r.origin), source: { inline: r.key.armored } });
    const source = repositoryFile(pm.name, r, name);
    if (source) {
      files.push(file(source.path, source.template, { ...source.context, chain: profile.chain }, r.origin, source.afterKey ? { phase: 'after-key' } : {}));
      if (source.afterKey) afterKey.set(r.id, source.path);
    }
  }
  const versionOrigin = at(rt.version.raw === profile.packaging.version ? `${srcPtr}/version` : '/runtime/version');
  // A runtime built into the image has no package: the image's own is used, as it is.
  const pk = profile.packaging;
  // The runtime's package and those pinned with it (docker-ce-cli) share its version and epoch.
  const atRuntimeVersion = (name: string, origin: Origin): PlanPackage => ({ name, version: rt.version, ...(pk.epoch ? { epoch: pk.epoch } : {}), patchSuffix: pk.patchSuffix ?? '-', hold: true, origin });
  const packages: PlanPackage[] =
    rt.source === 'builtin' || !pk.package
      ? []
      : [
          atRuntimeVersion(pk.package, versionOrigin),
          ...(pk.versionedPackages ?? []).map((name, i) => atRuntimeVersion(name, at(`${srcPtr}/versionedPackages/${i}`))),
          ...(pk.extraPackages ?? []).map((name, i): PlanPackage => ({ name, patchSuffix: '-', hold: true, origin: at(`${srcPtr}/extraPackages/${i}`) })),
          ...(pk.requires ?? []).map((name, i): PlanPackage => ({ name, patchSuffix: '-', hold: false, origin: at(`${srcPtr}/requires/${i}`) })),
        ];
  const conflicts = rt.source === 'upstream' ? (pk.conflicts ?? []) : [];

  const runtime = RUNTIME_CONTRIBUTORS[rt.name]!.parts(profile, header, at, srcPtr);
  files.push(...runtime.files);
  const socketEndpoint = runtime.endpoint;
  files.push(
    {
      path: runtime.crictlConfigPath,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      phase: 'before-packages',
      source: { template: 'crictl.yaml.hbs', context: { ...header, endpoint: socketEndpoint } },
      origin: at(runtime.crictlOrigin),
    },
    {
      path: profile.kubelet.configFragmentPath,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      phase: 'before-packages',
      source: {
        template: 'kubelet-config.yaml.hbs',
        context: {
          ...header,
          cgroupDriver: rt.cgroupDriver,
          endpoint: socketEndpoint,
          manySockets: runtime.manySockets,
          failCgroupV1Set: k8s?.failCgroupV1 !== undefined,
          failCgroupV1: k8s?.failCgroupV1 ?? true,
        },
      },
      origin: at('/runtime/cgroupDriver'),
    },
    ...runtime.lateFiles,
  );

  // Kubernetes: kubelet reads the fragment's directory (--config-dir), through the variable its
  // package's unit passes on. The package ships that file, so it is placed after the packages.
  const k8sPackages: PlanPackage[] = (k8s && !k8s.sysext ? k8s.packages : []).map((pkg) => ({
    name: pkg,
    // cri-tools has its own patch releases within the Kubernetes minor.
    version: pkg === 'cri-tools' ? { raw: k8s!.minor, kind: 'minor', major: k8s!.version.major, minor: k8s!.version.minor! } : k8s!.version,
    patchSuffix: '-',
    hold: k8s!.hold,
    origin: at(pkg === 'cri-tools' ? '/kubernetes/packages' : '/kubernetes/version'),
  }));
  if (k8s) {
    files.push(
      file(
        k8s.kubeletDefaultsPath,
        'kubernetes/kubelet-defaults.hbs',
        { ...header, configDir: profile.kubelet.configFragmentPath.replace(/\/[^/]*$/, '') },
        at('/kubernetes/kubeletDefaultsPath'),
        { phase: 'after-packages' },
      ),
    );
  }

  // The proxy: crinit's own steps, the package manager, and every service that fetches.
  const proxy = profile.proxy;
  const proxyOrigin = at('/proxy');
  const proxyVars = proxy
    ? [
        ...(proxy.http ? [['HTTP_PROXY', proxy.http], ['http_proxy', proxy.http]] : []),
        ...(proxy.https ? [['HTTPS_PROXY', proxy.https], ['https_proxy', proxy.https]] : []),
        ['NO_PROXY', proxy.noProxy.join(',')],
        ['no_proxy', proxy.noProxy.join(',')],
      ].map(([key, value]) => ({ key: key!, value: value! }))
    : [];
  if (proxy) {
    files.push(file(PROXY_ENV_PATH, 'proxy/env.hbs', { ...header, vars: proxyVars }, proxyOrigin, { mode: 0o600 }));
    if (pm.proxy === 'apt-conf') {
      files.push(file(APT_PROXY_PATH, 'proxy/apt.conf.hbs', { ...header, http: proxy.http ?? '', https: proxy.https ?? '' }, proxyOrigin, { mode: 0o600 }));
    }
    // kubelet gets its drop-in whether crinit installs it or not (kubeadm's packages installed
    // later, a sysext): a drop-in for a unit that does not exist yet is inert.
    // And the OS's own services that fetch (Fedora CoreOS: rpm-ostreed layers, zincati updates).
    const units = [...runtime.proxyUnits, 'kubelet.service', ...pm.fetchingUnits];
    for (const unit of units) {
      files.push(
        file(`${UNIT_DIR}/${unit}.d/${PROXY_DROPIN}`, 'proxy/dropin.conf.hbs', { ...header, envFile: PROXY_ENV_PATH }, proxyOrigin, { dropin: { unit, name: PROXY_DROPIN } }),
      );
    }
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
      entry: `/files/${i}`,
    });
  });

  const directories: PlanDirectory[] = runtime.directories;
  // kubelet is enabled, not started: it restarts in a loop until kubeadm init or join configures it.
  // From the Flatcar image, kubelet is started by the image's own Upholds= drop-in instead.
  const services: PlanService[] = [...runtime.services, ...(k8s ? [{ unit: 'kubelet.service', enable: !k8s.sysext, restart: false, origin: k8sOrigin }] : [])];
  const masks: PlanMask[] = [
    ...(profile.packaging.mask ?? []).map((unit, i) => ({ unit, origin: at(`${srcPtr}/mask/${i}`) })),
    // kubelet refuses to run with swap on by default; swap.target masked keeps swap units from coming back.
    ...(k8s ? [{ unit: 'swap.target', origin: k8sOrigin }] : []),
  ];
  const links: PlanLink[] = (profile.packaging.disableSysexts ?? []).map((name, i) => ({
    path: `/etc/extensions/${name}.raw`,
    target: '/dev/null',
    origin: at(`${srcPtr}/disableSysexts/${i}`),
  }));
  // Flatcar: the kubernetes system extension, downloaded and verified by Ignition, then linked
  // where systemd-sysext merges it on every boot (the sysext bakery's layout).
  const downloads: PlanDownload[] = [];
  const addSysext = (name: string, sx: { readonly url: string; readonly sha256: string; readonly file: string }, version: string, origin: Origin): void => {
    const url = mirror(sx.url);
    const path = `/opt/extensions/${name}/${sx.file}`;
    downloads.push({ path, url, sha256: sx.sha256, mode: 0o644, origin });
    links.push({ path: `/etc/extensions/${name}.raw`, target: path, origin });
    artifacts.push({ kind: 'download', url, upstream: sx.url, sha256: sx.sha256, version, origin });
  };
  if (profile.runtimeSysext) addSysext(profile.runtimeSysext.name, profile.runtimeSysext, rt.version.raw, versionOrigin);
  if (k8s?.sysext) addSysext('kubernetes', k8s.sysext, k8s.version.raw, k8sOrigin);

  // First-boot steps, in the order the Kubernetes guide implies: kernel first (the bridge
  // sysctls exist only once br_netfilter is loaded), then packages, then configuration that
  // replaces packaged files, then the services that read it.
  const steps: PlanStep[] = [
    { id: 'load-kernel-modules', action: { kind: 'load-modules', modules: modules.map((m) => m.name) }, origin: at('/kernel/modules') },
    { id: 'apply-sysctls', action: { kind: 'apply-sysctls' }, origin: at('/kernel/sysctls') },
  ];
  if (k8s) steps.push({ id: 'disable-swap', action: { kind: 'disable-swap' }, origin: k8sOrigin });
  // dnf: a proxy without credentials goes into dnf.conf (every user's dnf reads it), set before
  // dnf's first network call. One with credentials stays out of that world-readable file: dnf
  // (libcurl) takes http_proxy and https_proxy from the environment, which crinit-step reads
  // from its root-only proxy.env for every dnf call it makes.
  const dnfProxy = proxy ? (proxy.https ?? proxy.http)! : undefined;
  if (dnfProxy && pm.proxy === 'dnf-conf' && !new URL(dnfProxy).username) {
    steps.push({ id: 'configure-dnf-proxy', action: { kind: 'configure-dnf-proxy', url: dnfProxy }, origin: proxyOrigin });
  }
  if (conflicts.length > 0) {
    steps.push({ id: 'remove-conflicting-packages', action: { kind: 'remove-packages', packages: conflicts }, origin: at(`${srcPtr}/conflicts`) });
  }
  // A key pinned by fingerprint only is fetched and checked before the index is refreshed; on
  // apt its source is placed only then (cloud-init's apt module runs `apt-get update` itself,
  // which fails on a source whose key is not there yet).
  for (const r of repos) {
    if (r.key.url) {
      steps.push({
        id: `fetch-key-${r.id}`,
        action: { kind: 'fetch-key', url: r.key.url, fingerprint: r.key.fingerprint, dest: repoKeyPath(pm.name, r.id) },
        origin: r.origin,
      });
      const source = afterKey.get(r.id);
      if (source) steps.push({ id: `add-repository-${r.id}`, action: { kind: 'place-files', paths: [source] }, origin: r.origin });
    }
  }
  if (packages.length > 0 || k8sPackages.length > 0) {
    steps.push({ id: 'refresh-package-index', action: { kind: 'refresh-package-index' }, origin: crinit('packages') });
  }
  const held = [...packages, ...k8sPackages].filter((p) => p.hold).map((p) => p.name);
  if (held.length > 0) steps.push({ id: 'release-holds', action: { kind: 'release-holds', packages: held }, origin: versionOrigin });
  if (packages.length > 0) steps.push({ id: 'install-packages', action: { kind: 'install-packages', packages }, origin: versionOrigin });
  if (k8s && k8sPackages.length > 0) {
    steps.push({ id: 'install-kubernetes-packages', action: { kind: 'install-packages', packages: k8sPackages, fromRepo: k8s.repo }, origin: k8sOrigin });
  }
  const late = files.filter((f) => f.phase === 'after-packages');
  if (late.length > 0) {
    steps.push({ id: 'install-config-files', action: { kind: 'place-files', paths: late.map((f) => f.path) }, origin: at('/runtime') });
  }
  if (held.length > 0) steps.push({ id: 'hold-packages', action: { kind: 'hold-packages', packages: held }, origin: versionOrigin });
  if (directories.length > 0) {
    steps.push({ id: 'create-directories', action: { kind: 'create-directories', paths: directories.map((d) => d.path) }, origin: directories[0]!.origin });
  }
  steps.push(...runtime.installSteps, { id: 'systemd-daemon-reload', action: { kind: 'daemon-reload' }, origin: crinit('services') });
  if (masks.length > 0) {
    steps.push({ id: 'mask-units', action: { kind: 'mask-units', units: masks.map((m) => m.unit) }, origin: at(`${srcPtr}/mask`) });
  }
  for (const s of services) {
    const base = s.unit.replace(/\.service$/, '').replace(/\.socket$/, '-socket');
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

  // What the backend writes from the steps it lowers: keyed here like every other node.
  const machinery: PlanMachinery[] = [];
  const runner = firstBoot.runner?.(profile.distro.binDir);
  if (runner) {
    machinery.push(
      { path: runner.script, role: 'runner-script', what: 'crinit-firstboot, the script that runs the first-boot steps', origin: crinit('the first-boot runner, crinit-firstboot') },
      { path: runner.unitPath, role: 'runner-unit', unit: runner.unit, what: `${runner.unit}, the unit that runs crinit-firstboot`, origin: crinit('the first-boot runner, crinit-firstboot') },
      { path: STATE_DIR, role: 'state-directory', what: "crinit's first-boot state directory", origin: crinit('the first-boot runner, crinit-firstboot') },
    );
  }
  for (const s of steps) {
    const a = s.action;
    if (a.kind !== 'install-archive' || firstBoot.unpacker !== 'unit') continue;
    const unit = unpackUnitName(a.dest);
    machinery.push(
      { path: archiveDownloadPath(a.url), role: 'download', what: `the download of ${a.url}`, origin: s.origin },
      { path: `${UNIT_DIR}/${unit}`, role: 'unpack-unit', unit, what: `${unit}, the unit that unpacks ${a.dest}`, origin: s.origin },
    );
  }

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
    downloads,
    ignitionSnippets: profile.ignition.snippets.map((path, i) => ({ path, origin: at(`/ignition/snippets/${i}`) })),
    ...(profile.ignition.version ? { ignitionVersion: { value: profile.ignition.version, origin: at('/ignition/version') } } : {}),
    kubelet: { cgroupDriver: rt.cgroupDriver, runtimeEndpoint: socketEndpoint, origin: at('/runtime/cgroupDriver') },
    ...(proxy ? { proxy: { ...proxy, origin: proxyOrigin } } : {}),
    artifacts: [...withPackages(artifacts, packages, k8sPackages, profile), ...runtime.artifacts, sandboxArtifact(original, profile, at(!!k8s && L.isBuiltin('/runtime/sandboxImage') ? '/kubernetes/pauseImages' : '/runtime/sandboxImage'))],
    steps,
    machinery,
  };
}

/** Each repository artifact, with the packages (and version pins) the plan takes from it. */
function withPackages(artifacts: PlanArtifact[], runtimePackages: readonly PlanPackage[], k8sPackages: readonly PlanPackage[], profile: Profile): PlanArtifact[] {
  const pin = (p: PlanPackage): string => (p.version ? `${p.name} ${p.epoch ? `${p.epoch}:` : ''}${p.version.raw}${p.version.kind === 'exact' ? '' : '.*'}` : p.name);
  return artifacts.map((a) => {
    if (a.kind !== 'repository') return a;
    const from = a.id === profile.kubernetes?.repo ? k8sPackages : a.id === profile.packaging.repo ? runtimePackages.filter((p) => !profile.packaging.requires?.includes(p.name)) : [];
    return from.length > 0 ? { ...a, packages: from.map(pin) } : a;
  });
}

/** The pause image as an artifact: where the node pulls it, through the runtime's registry mirrors. */
function sandboxArtifact(original: Profile, profile: Profile, origin: Origin): PlanArtifact {
  const ref = profile.runtime.sandboxImage;
  const registry = imageRegistry(ref);
  const mirrors = profile.runtime.registryMirrors.find(([host]) => host === registry)?.[1] ?? profile.runtime.registryMirrors.find(([host]) => host === '_default')?.[1];
  return {
    kind: 'image',
    url: ref,
    upstream: original.runtime.sandboxImage,
    ...(mirrors ? { registryMirrors: mirrors } : {}),
    origin,
  };
}


