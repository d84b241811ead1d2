/**
 * @fileoverview Lowering plan steps for Ignition. Ignition writes files, directories, links and
 * units before systemd starts, so most steps need nothing on first boot:
 *   - modules-load.d and sysctl.d files exist before systemd-modules-load and systemd-sysctl run
 *     (systemd-sysctl is ordered after systemd-modules-load, so the br_netfilter sysctls apply):
 *     no modprobe, no `sysctl --system`;
 *   - a unit enabled through Ignition is started by systemd in its normal boot, on the config
 *     that is already in place: no daemon-reload and no restart;
 *   - masks and directories are Ignition's own fields.
 * What remains (a check that the runtime's socket came up, the profile's commands) runs once in
 * crinit-firstboot.service, through the same crinit-step runner as on cloud-init. A release
 * archive is downloaded and verified by Ignition itself and unpacked by a oneshot unit. Packages
 * are layered with rpm-ostree on Fedora CoreOS (the key checked with gpg, then one reboot, after
 * which crinit-firstboot resumes); on Flatcar, which has no package manager, a package step is
 * refused, naming the step.
 */
import { packageManager } from '../../os/package-managers.js';
import type { PackageManager } from '../../profile/types.js';
import type { PlanStep, RenderedPlan } from '../../plan/types.js';
import { archCheck, disableSwapLine, type Line } from '../shared.js';
import { RESUME_MARKER } from '../../paths.js';
import { archiveDownloadPath, unpackUnitName } from '../../os/first-boot.js';
import { renderTemplate } from '../../render/handlebars.js';

export type Lowered =
  | { readonly kind: 'satisfied'; readonly by: string }
  /** A download Ignition makes itself (verified by its hash), unpacked by a oneshot unit. */
  | { readonly kind: 'download'; readonly path: string; readonly url: string; readonly sha256: string; readonly unit: { readonly name: string; readonly contents: string } }
  /** A released file Ignition downloads to its place itself (verified by its sha512), and its first-boot line. */
  | { readonly kind: 'binary'; readonly path: string; readonly url: string; readonly sha512: string; readonly line: Line }
  | { readonly kind: 'firstboot'; readonly lines: readonly Line[] }
  | { readonly kind: 'refused'; readonly reason: string };

/** The unpack unit's first command: the machine's arch, then the archive's sum, again. */
const UNPACK_CHECK = [archCheck('$3'), 'echo "$1  $2" | sha256sum -c --quiet -'].join('; ');

/** A released file's first-boot line: the machine's arch against the profile's ($1). */
const ARCH_CHECK = archCheck('$1');

function refusePackages(id: string, name: string, manager: PackageManager): Lowered {
  return {
    kind: 'refused',
    reason: `step ${id} installs packages, which the Ignition backend cannot do on ${name} (${packageManager(manager).noPackages ?? 'not in place'})`,
  };
}

/**
 * FETCH_KEY_GPG is the fetch-key step where python3 is missing (Fedora CoreOS ships gpg instead):
 * the key is installed only if gpg lists exactly one primary key in it, with the pinned
 * fingerprint. gpg runs in a throw-away home and imports nothing.
 */
export const FETCH_KEY_GPG = [
  'set -eu',
  'url=$1; want=$2; dest=$3',
  'tmp=$(mktemp -d)',
  'trap \'rm -rf "$tmp"\' EXIT',
  'curl -fsSL --retry 5 --retry-delay 5 -o "$tmp/key" "$url"',
  'GNUPGHOME="$tmp" gpg --batch --quiet --show-keys --with-colons "$tmp/key" > "$tmp/list"',
  'n=$(grep -c "^pub:" "$tmp/list" || true)',
  'if [ "$n" -ne 1 ]; then echo "crinit: $url holds $n primary keys, not 1" >&2; exit 1; fi',
  'got=$(awk -F: \'/^pub:/ { p = 1; next } p && /^fpr:/ { print $10; exit }\' "$tmp/list")',
  'if [ "$got" != "$want" ]; then echo "crinit: the key at $url has fingerprint $got, not the pinned $want" >&2; exit 1; fi',
  'install -D -m 0644 "$tmp/key" "$dest"',
].join('\n');

export function lowerStepForIgnition(step: PlanStep, plan: RenderedPlan): Lowered {
  const a = step.action;
  const distro = plan.target.distro;
  // Fedora CoreOS layers packages with rpm-ostree, when the plan has any.
  const layered = packageManager(distro.packageManager).layers && plan.steps.some((x) => x.action.kind === 'install-packages');
  switch (a.kind) {
    case 'load-modules':
      return { kind: 'satisfied', by: 'systemd-modules-load reads the modules-load.d file Ignition wrote' };
    case 'apply-sysctls':
      return { kind: 'satisfied', by: 'systemd-sysctl reads the sysctl.d file Ignition wrote' };
    case 'place-files':
      return { kind: 'satisfied', by: 'Ignition writes every file before systemd starts' };
    case 'create-directories':
      return { kind: 'satisfied', by: 'storage.directories' };
    case 'daemon-reload':
      return { kind: 'satisfied', by: 'systemd loads the units Ignition wrote when it starts' };
    case 'enable-service':
      // A unit from a layered package did not exist when the first boot applied the presets.
      if (layered) return { kind: 'firstboot', lines: [{ id: step.id, argv: ['systemctl', 'enable', a.unit] }] };
      return { kind: 'satisfied', by: 'systemd.units[].enabled (a preset applied on first boot)' };
    case 'mask-units':
      return { kind: 'satisfied', by: 'systemd.units[].mask' };
    case 'refresh-package-index':
      if (layered) return { kind: 'satisfied', by: 'rpm-ostree refreshes the repository metadata itself' };
      return refusePackages(step.id, distro.name, distro.packageManager);
    case 'install-packages': {
      if (!layered) return refusePackages(step.id, distro.name, distro.packageManager);
      // Layered into a new deployment, which the next boot runs: after the last package step,
      // crinit-firstboot reboots, then carries on with the steps after it.
      const last = plan.steps.filter((x) => x.action.kind === 'install-packages').at(-1) === step;
      const lines: Line[] = [{ id: step.id, argv: ['rpm-ostree', 'install', '--idempotent', '--allow-inactive', ...a.packages.map((p) => p.name)], retries: 3, delay: 15 }];
      if (last) lines.push({ id: 'reboot-into-layered-packages', argv: ['touch', RESUME_MARKER], reboot: true });
      return { kind: 'firstboot', lines };
    }
    case 'release-holds':
      if (layered) return { kind: 'satisfied', by: 'rpm-ostree has no holds to release' };
      return refusePackages(step.id, distro.name, distro.packageManager);
    case 'hold-packages':
      if (layered) return { kind: 'satisfied', by: "rpm-ostree takes them from the pinned minor's repository only; it has no hold, and patch releases come with OS updates" };
      return refusePackages(step.id, distro.name, distro.packageManager);
    case 'remove-packages':
      return refusePackages(step.id, distro.name, distro.packageManager);
    case 'configure-dnf-proxy':
      return { kind: 'refused', reason: `step ${step.id} configures dnf, which ${distro.name} does not have` };
    case 'disable-swap':
      return { kind: 'firstboot', lines: [disableSwapLine(step.id)] };
    case 'fetch-key':
      if (layered) return { kind: 'firstboot', lines: [{ id: step.id, argv: ['sh', '-c', FETCH_KEY_GPG, 'sh', a.url, a.fingerprint, a.dest], retries: 5, delay: 15 }] };
      return { kind: 'refused', reason: `step ${step.id} sets up a package repository, which the Ignition backend cannot do on ${distro.name}` };
    case 'install-archive': {
      // Ignition downloads the archive and refuses the whole config unless its sha256 matches
      // (verification.hash); a oneshot unit, required by the service that runs the binary,
      // unpacks the one member on first boot and checks the sum again before it does.
      const path = archiveDownloadPath(a.url);
      const name = unpackUnitName(a.dest);
      const work = `/run/${name.replace(/\.service$/, '')}`;
      const contents = renderTemplate('crinit-unpack.service.hbs', { archive: path, sha256: a.sha256, member: a.member, dest: a.dest, neededBy: a.neededBy, arch: a.arch, work, unpacked: `${work}/${a.member}`, check: UNPACK_CHECK, stamp: `${path}.installed` }, plan.annotate);
      return { kind: 'download', path, url: a.url, sha256: a.sha256, unit: { name, contents } };
    }
    case 'install-tree':
      return { kind: 'refused', reason: `step ${step.id} unpacks a release archive into ${a.root}, which Ignition cannot do (it writes files, and unpacks no archives)` };
    case 'install-binary':
      // Ignition fetches the file to its place (mode 0755) and refuses the whole config unless its
      // sha512 matches (verification.hash); first boot checks the machine is of the profile's
      // architecture, whose file that is, before the runtime that runs it restarts.
      return { kind: 'binary', path: a.dest, url: a.url, sha512: a.sha512, line: { id: step.id, argv: ['sh', '-c', ARCH_CHECK, 'sh', a.arch] } };
    case 'restart-service':
      return { kind: 'firstboot', lines: [{ id: step.id, argv: ['systemctl', 'restart', a.unit] }] };
    case 'wait-for-socket':
      return { kind: 'firstboot', lines: [{ id: step.id, argv: ['test', '-S', a.path], retries: 30, delay: 2 }] };
    case 'run-command':
      return { kind: 'firstboot', lines: [{ id: step.id, argv: a.argv }] };
    case 'run-shell':
      return { kind: 'firstboot', lines: [{ id: step.id, argv: ['sh', '-c', a.script] }] };
  }
}
