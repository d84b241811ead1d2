/**
 * @fileoverview What each backend does with each profile option: renders it, or refuses it with
 * a reason. One table for every option in profiles/profile.schema.json; test/capabilities.test.ts
 * checks that no option is missing and that each refusal is an error at the option's line:col.
 * A backend never drops an option silently.
 */
import { CODES, type Diagnostic } from '../diagnostics.js';
import type { Locator } from '../profile/normalize.js';
import type { BackendName, WrittenProfile } from '../profile/types.js';
import type { Rule } from './context.js';

export type Capability = { readonly rendered: string } | { readonly refused: string; readonly hint: string };

const both = (rendered: string): Record<BackendName, Capability> => ({ 'cloud-init': { rendered }, ignition: { rendered } });
/** Mirantis supports MCR on no distro Ignition provisions (Fedora CoreOS, Flatcar). */
const mcrOnly = (rendered: string): Record<BackendName, Capability> => ({
  'cloud-init': { rendered },
  ignition: { refused: 'Mirantis Container Runtime runs on no distro Ignition provisions (Mirantis supports neither Fedora CoreOS nor Flatcar)', hint: 'remove mcr:' },
});

/**
 * Keys are option paths as in the schema; `*` stands for any runtime or source name. An option
 * not in the table is not a profile option.
 */
export const CAPABILITIES: Readonly<Record<string, Readonly<Record<BackendName, Capability>>>> = {
  extends: both('resolved before any backend runs'),
  description: both('documentation only'),
  'distro.id': both('names the distro in diagnostics'),
  'distro.name': both('names the distro in diagnostics and comments'),
  'distro.family': both('selects the distro family rules'),
  'distro.packageManager': both('selects apt, dnf, rpm-ostree or none for package steps'),
  'distro.backend': both('selects the backend itself'),
  'distro.binDir': both("where crinit's first-boot scripts go"),
  'distro.osRelease': both('documentation of the target'),
  'distro.cloudInitFloor': {
    'cloud-init': { rendered: 'the capability check of cloud-init keys' },
    ignition: { refused: 'distro.cloudInitFloor describes cloud-init, which an Ignition distro does not run', hint: 'remove distro.cloudInitFloor' },
  },
  'distro.cgroupVersion': both('the cgroup-driver advice'),
  'distro.init': both('the cgroup-driver advice'),
  keys: both('pinned signing keys of the repositories in use'),
  repos: both('the repositories of the runtime source in use'),
  'packaging.*.*.repo': both('the repository the package comes from'),
  'packaging.*.*.package': both('the package installed'),
  'packaging.*.*.version': both('the default runtime version'),
  'packaging.*.*.patchSuffix': both('the version pin'),
  'packaging.*.*.conflicts': both('packages removed first'),
  'packaging.*.*.note': both('shown by crinit list'),
  'packaging.*.*.versionedPackages': both('installed and held with the package, at its version'),
  'packaging.*.*.extraPackages': both('installed and held with the package'),
  'packaging.*.*.pinnedByRepository': both('the repository is the version pin: packages installed unpinned, and held'),
  'packaging.*.*.epoch': both('the version pin'),
  'packaging.*.*.configVersion': both('the config.toml version written'),
  'packaging.*.*.execStart': both('a drop-in that points the runtime unit at its config'),
  'packaging.*.*.enable': both('whether the runtime unit is enabled'),
  'packaging.*.*.mask': { 'cloud-init': { rendered: 'systemctl mask --now' }, ignition: { rendered: 'systemd.units[].mask' } },
  'packaging.*.*.criDockerdBinary': both('where cri-dockerd is installed on this distro'),
  'packaging.*.*.sysextUrl': {
    'cloud-init': { refused: 'system extensions are a Flatcar feature; cloud-init distros install packages', hint: 'remove sysextUrl' },
    ignition: { rendered: 'the runtime image downloaded and verified by Ignition, linked into /etc/extensions' },
  },
  'crio.sysext': {
    'cloud-init': { refused: 'system extensions are a Flatcar feature; CRI-O comes as a package here', hint: 'remove crio.sysext' },
    ignition: { rendered: "the sum Ignition checks the sysext bakery's crio image against" },
  },
  'packaging.*.*.disableSysexts': {
    'cloud-init': { refused: 'system extensions are a Flatcar feature; cloud-init distros have none to switch off', hint: 'remove disableSysexts' },
    ignition: { rendered: 'a link from /etc/extensions/NAME.raw to /dev/null' },
  },
  'runtime.name': both('selects the runtime'),
  'runtime.version': both('the package version pinned (refused for a runtime built into the image)'),
  'runtime.source': both('upstream, distro or builtin packaging'),
  'runtime.cgroupDriver': both('runtime config and kubelet fragment'),
  'runtime.sandboxImage': both('runtime config'),
  'runtime.registryMirrors': both('hosts.toml per registry'),
  'runtime.handlers': both('extra runtime handlers for RuntimeClasses, where the runtime and the distro have them (refused otherwise, at the handler)'),
  'handlerPackaging.crun': both('how crun is installed on the distro'),
  'handlerPackaging.runsc': both("how gVisor's runsc is installed on the distro"),
  'handlerPackaging.kata': both('how Kata Containers is installed on the distro'),
  'handlerPackaging.nvidia': both('how the NVIDIA container toolkit is installed on the distro'),
  'containerd.service': both('the unit enabled, restarted and checked'),
  'containerd.socket': both('crictl, kubelet and the first-boot check'),
  'containerd.configPath': both('where config.toml is written'),
  'containerd.certsDir': both('where hosts.toml files are written'),
  'containerd.crictlConfigPath': both('where crictl.yaml is written'),
  'docker.service': both('the unit enabled, restarted and checked'),
  'docker.socket': both('the first-boot check'),
  'docker.daemonJsonPath': both('where daemon.json is written'),
  'docker.crictlConfigPath': both('where crictl.yaml is written'),
  'criDockerd.version': both('the release downloaded'),
  'criDockerd.url': both('where the release is downloaded from'),
  'criDockerd.sha256': both('checked before the download is unpacked'),
  'criDockerd.binary': both('where the binary is installed'),
  'criDockerd.service': both('the unit written, enabled and restarted'),
  'criDockerd.socketUnit': both('the socket unit written and enabled'),
  'criDockerd.socket': both('the kubelet endpoint, crictl and the first-boot check'),
  'mcr.repository': mcrOnly('the repository and key URLs'),
  'mcr.channel': mcrOnly('the repository component (apt) or baseurl path (dnf)'),
  'mcr.keyFingerprint': mcrOnly('the fingerprint the fetched key must have'),
  'mcr.criDockerdService': mcrOnly('the unit given the pause-image drop-in and restarted'),
  'mcr.criDockerdSocketUnit': mcrOnly('the unit whose ListenStream= names the CRI socket, read on the node'),
  'crio.service': both('the unit enabled, started and checked'),
  'crio.socket': both('the kubelet endpoint, crictl and the first-boot check'),
  'crio.dropinPath': both('where the crio.conf.d drop-in is written'),
  'crio.registriesPath': both('where the registries.conf.d mirrors drop-in is written'),
  'crio.crictlConfigPath': both('where crictl.yaml is written'),
  'packaging.*.*.requires': both('installed with the package, not held'),
  'packaging.*.*.unsupported': both('refuses the source with this reason'),
  'packaging.*.*.bundledHandlers': both("handler binaries the package brings (CRI-O's crun), used for runtime.handlers before the distro's"),
  'packaging.*.*.conmonPath': both('the monitor_path of each extra CRI-O handler'),
  arch: both('selects downloaded binaries (cri-dockerd) and is checked against the machine on first boot'),
  'kernel.modules': {
    'cloud-init': { rendered: 'modules-load.d file and modprobe on first boot' },
    ignition: { rendered: 'modules-load.d file, loaded by systemd-modules-load at boot' },
  },
  'kernel.sysctls': {
    'cloud-init': { rendered: 'sysctl.d file and sysctl --system on first boot' },
    ignition: { rendered: 'sysctl.d file, applied by systemd-sysctl at boot' },
  },
  'kubelet.configFragmentPath': both('where the KubeletConfiguration fragment is written'),
  'kubernetes.version': {
    'cloud-init': { rendered: 'the pkgs.k8s.io repository of that minor, the package pins and the pause image' },
    ignition: { rendered: "the sysext bakery's kubernetes image of that release (Flatcar), and the pause image" },
  },
  'kubernetes.sysext': {
    'cloud-init': { refused: 'system extensions are a Flatcar feature; cloud-init distros install the Kubernetes packages', hint: 'remove kubernetes.sysext' },
    ignition: { rendered: 'the image downloaded and verified by Ignition, linked into /etc/extensions' },
  },
  'kubernetes.packages': both('the packages installed (and held)'),
  'kubernetes.hold': both('apt-mark hold or dnf versionlock'),
  'kubernetes.repo': both('the repository the packages come from'),
  'kubernetes.kubeletDefaultsPath': both("where kubelet's KUBELET_EXTRA_ARGS (--config-dir) are written"),
  'kubernetes.pauseImages': both('the default runtime.sandboxImage for the Kubernetes minor'),
  'kubernetes.failCgroupV1': both('the KubeletConfiguration fragment'),
  'kubernetes.podSubnet': both('added to the proxy exceptions'),
  'kubernetes.serviceSubnet': both('added to the proxy exceptions'),
  'kubernetes.controlPlaneEndpoint': both('its host added to the proxy exceptions'),
  'kubernetes.unsupported': both('refuses the Kubernetes packages with this reason'),
  'proxy.http': {
    'cloud-init': { rendered: 'apt or dnf proxy, the first-boot steps, and the runtime and kubelet units' },
    ignition: { rendered: "ignition.proxy, the first-boot steps, and the runtime and kubelet units" },
  },
  'proxy.https': {
    'cloud-init': { rendered: 'apt or dnf proxy, the first-boot steps, and the runtime and kubelet units' },
    ignition: { rendered: "ignition.proxy, the first-boot steps, and the runtime and kubelet units" },
  },
  'proxy.noProxy': both('NO_PROXY, completed with loopback, 169.254.169.254 and the cluster subnets'),
  mirrors: both('every URL and image the output fetches, rewritten by prefix'),
  'files[].path': both('written'),
  'files[].content': both('written byte for byte'),
  'files[].mode': both('file mode'),
  'files[].owner': both('file owner'),
  'files[].when': {
    'cloud-init': { rendered: 'staged and installed after the packages' },
    ignition: { rendered: 'written before boot; there are no package steps to order against' },
  },
  'terraform.variables': both('live ${name} interpolations in --format tftpl, filled by --var'),
  'ignition.version': {
    'cloud-init': { refused: 'ignition.version applies to Ignition output, and this distro is provisioned by cloud-init', hint: 'remove the ignition: section, or target fcos or flatcar' },
    ignition: { rendered: 'the spec version written, with every field checked against it' },
  },
  'ignition.snippets': {
    'cloud-init': { refused: 'ignition.snippets applies to Ignition output, and this distro is provisioned by cloud-init', hint: 'remove the ignition: section, or target fcos or flatcar' },
    ignition: { rendered: "merged by Ignition's rules; the snippet's entries win" },
  },
  commands: {
    'cloud-init': { rendered: 'runcmd steps through crinit-step' },
    ignition: { rendered: 'steps of crinit-firstboot.service through crinit-step' },
  },
};

/** The table key for a JSON pointer into a profile, e.g. /packaging/containerd/builtin/mask -> packaging.*.*.mask. */
function tableKey(segments: readonly string[]): string | undefined {
  const candidates = [
    segments.slice(0, 2).join('.'),
    segments[0] === 'packaging' && segments.length >= 4 ? `packaging.*.*.${segments[3]}` : '',
    segments[0] === 'files' && segments.length >= 3 ? `files[].${segments[2]}` : '',
    segments[0] ?? '',
  ];
  return candidates.find((c) => c !== '' && CAPABILITIES[c] !== undefined);
}

/** A refused option found in a profile: its path and table key. */
interface Refusal {
  readonly segments: readonly string[];
  readonly key: string;
}

/**
 * What was found in a frozen subtree (the shared merge of the built-in layers, which a profile
 * only ever copies before it changes), by backend and path: worked out once per process.
 */
const frozenVerdicts = new WeakMap<object, Map<string, readonly Refusal[]>>();

function refusals(value: unknown, segments: string[], backend: BackendName, out: Refusal[]): void {
  const key = tableKey(segments);
  const cap = key ? CAPABILITIES[key]?.[backend] : undefined;
  if (cap && 'refused' in cap) {
    out.push({ segments, key: key! });
    return;
  }
  if (value === null || typeof value !== 'object' || segments.length >= 4) return;
  if (Object.isFrozen(value)) {
    let byPath = frozenVerdicts.get(value);
    if (!byPath) frozenVerdicts.set(value, (byPath = new Map()));
    const at = `${backend} ${segments.join('\u0000')}`;
    let found = byPath.get(at);
    if (!found) {
      const mine: Refusal[] = [];
      for (const [k, v] of Object.entries(value)) refusals(v, [...segments, k], backend, mine);
      byPath.set(at, (found = mine));
    }
    out.push(...found);
    return;
  }
  for (const [k, v] of Object.entries(value)) refusals(v, [...segments, k], backend, out);
}

/** checkCapabilities refuses, at its line:col, every option set in the profile that the backend cannot render. */
export function checkCapabilities(data: WrittenProfile, backend: BackendName, L: Locator): Diagnostic[] {
  const found: Refusal[] = [];
  refusals(data, [], backend, found);
  return found.map(({ segments, key }) => {
    const cap = CAPABILITIES[key]![backend] as { refused: string; hint: string };
    return L.diag('error', CODES.capability, `/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`, `the ${backend} backend cannot render ${key}: ${cap.refused}`, cap.hint);
  });
}

/** The rule: every option the backend cannot render is refused where it is set. */
export const capabilities: Rule = {
  name: 'capabilities',
  run(ctx) {
    ctx.diagnostics.push(...checkCapabilities(ctx.data, ctx.backend, ctx.L));
  },
};
