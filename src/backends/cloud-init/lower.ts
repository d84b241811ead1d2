/**
 * @fileoverview Lowering plan steps to runcmd lines for cloud-init.
 *
 * Why packages are installed here, in runcmd, and not with cloud-init's `packages:` key:
 *   - cloud-init 22.x waits only 30 s for the dpkg/apt lock and never retries a download, while
 *     apt-daily and unattended-upgrades routinely hold the lock on a fresh Ubuntu or Debian;
 *   - on Ubuntu a package apt cannot find is retried as a snap;
 *   - a failed `packages:` does not stop runcmd, so the node would go on half-built.
 * Each line below runs through crinit-step, which retries where a step touches the network,
 * records the first failure, skips every later step, and writes the success marker only when
 * every step passed.
 */
import { FETCH_KEY_NAME, octalMode, STATE_DIR } from '../../paths.js';
import { packageManager, type PackageCommands } from '../../os/package-managers.js';
import type { PlanStep, RenderedPlan } from '../../plan/types.js';
import { archCheck, disableSwapLine, type Line } from '../shared.js';

export const STAGING_DIR = `${STATE_DIR}/staged`;

/**
 * installArchive downloads a release tarball, checks its sha256 before it is opened, and
 * installs one member. The architecture is the profile's; a machine of another one stops here
 * rather than run a binary it cannot execute.
 */
/**
 * installBinary downloads one released file, checks its sha512 before it is used, and installs
 * it (mode 0755): gVisor's runsc and its shim. The machine's architecture must be the profile's.
 */
const INSTALL_BINARY = [
  'set -eu',
  'url=$1; sum=$2; arch=$3; dest=$4',
  archCheck('$arch'),
  'tmp=$(mktemp -d)',
  'trap \'rm -rf "$tmp"\' EXIT',
  'curl -fsSL --retry 5 --retry-delay 5 -o "$tmp/file" "$url"',
  'echo "$sum  $tmp/file" | sha512sum -c --quiet -',
  'install -D -m 0755 "$tmp/file" "$dest"',
].join('; ');

/**
 * installTree downloads a release archive of one whole tree (Kata's kata-static, .tar.zst),
 * checks its sha256 before it is opened, refuses it unless every member lies under ROOT (no ..
 * segment), unpacks it beside DEST (owned by root, not by the archive's owner), and swaps its
 * ROOT in for the DEST a run before left, which is put back if the swap fails. DEST is ROOT on
 * the node (a test unpacks elsewhere). The machine's architecture must be the profile's.
 */
const INSTALL_TREE = [
  'set -eu',
  'url=$1; sum=$2; arch=$3; root=$4; dest=$5',
  archCheck('$arch'),
  'parent=$(dirname "$dest"); rel=${root#/}',
  'mkdir -p "$parent"',
  'tmp=$(mktemp -d "$parent/.crinit-tree.XXXXXX")',
  'trap \'rm -rf "$tmp"\' EXIT',
  'curl -fsSL --retry 5 --retry-delay 5 -o "$tmp/archive" "$url"',
  'echo "$sum  $tmp/archive" | sha256sum -c --quiet -',
  'tar --zstd -tf "$tmp/archive" > "$tmp/members"',
  'bad=$(awk -v r="$rel" \'{ p = $0; sub(/^\\.\\//, "", p); sub(/\\/$/, "", p) } p ~ /(^|\\/)\\.\\.(\\/|$)/ { print; exit } p == "" || p == "." || p == r || index(p, r "/") == 1 || index(r "/", p "/") == 1 { next } { print; exit }\' "$tmp/members")',
  'if [ -n "$bad" ]; then echo "crinit: $url holds $bad, outside $root" >&2; exit 1; fi',
  'mkdir "$tmp/x"',
  'tar --zstd -xf "$tmp/archive" -C "$tmp/x" --no-same-owner',
  'if [ ! -d "$tmp/x/$rel" ]; then echo "crinit: $url holds no $root" >&2; exit 1; fi',
  'if [ -e "$dest" ]; then mv "$dest" "$tmp/old"; fi',
  'if ! mv "$tmp/x/$rel" "$dest"; then if [ -e "$tmp/old" ]; then mv "$tmp/old" "$dest"; fi; exit 1; fi',
].join('; ');

const INSTALL_ARCHIVE = [
  'set -eu',
  'url=$1; sum=$2; arch=$3; member=$4; dest=$5',
  archCheck('$arch'),
  'tmp=$(mktemp -d)',
  'trap \'rm -rf "$tmp"\' EXIT',
  'curl -fsSL --retry 5 --retry-delay 5 -o "$tmp/archive.tgz" "$url"',
  'echo "$sum  $tmp/archive.tgz" | sha256sum -c --quiet -',
  'tar -xzf "$tmp/archive.tgz" -C "$tmp" "$member"',
  'install -D -m 0755 "$tmp/$member" "$dest"',
].join('; ');


/**
 * CONFIGURE_DNF_PROXY sets proxy= in dnf.conf's [main] section, replacing any proxy= already
 * there; the rest of the file is kept as it is.
 */
const CONFIGURE_DNF_PROXY = [
  'import sys',
  'url, path = sys.argv[1:3]',
  'lines = open(path).read().splitlines()',
  'out, section = [], None',
  'for line in lines:',
  '    s = line.strip()',
  '    if s.startswith("["): section = s',
  '    if section == "[main]" and s.replace(" ", "").startswith("proxy="): continue',
  '    out.append(line)',
  '    if s == "[main]": out.append("proxy=" + url)',
  'if "[main]" not in (l.strip() for l in lines): out = ["[main]", "proxy=" + url] + out',
  'open(path + ".tmp", "w").write("\\n".join(out) + "\\n")',
  'import os',
  '# The URL holds no credentials (those stay in proxy.env): the file keeps its mode for every user.',
  'os.chmod(path + ".tmp", os.stat(path).st_mode & 0o777)',
  'os.replace(path + ".tmp", path)',
].join('\n');

/** lowerStep returns the runcmd lines for one plan step on this distro. */
export function lowerStep(step: PlanStep, plan: RenderedPlan): Line[] {
  const distro = plan.target.distro;
  // The package steps' commands come from the distro's package manager.
  const pm = (): PackageCommands => {
    const c = packageManager(distro.packageManager).commands;
    if (!c) throw new Error(`internal: step ${step.id} needs package commands, which ${distro.packageManager} has not`);
    return c;
  };
  const a = step.action;
  switch (a.kind) {
    case 'load-modules':
      return [{ id: step.id, argv: ['modprobe', '-a', ...a.modules] }];
    case 'apply-sysctls':
      return [{ id: step.id, argv: ['sysctl', '--system'] }];
    case 'remove-packages':
      return [{ id: step.id, argv: ['sh', '-c', pm().removeInstalled, 'sh', ...a.packages] }];
    case 'refresh-package-index':
      return [{ id: step.id, argv: [...pm().refresh], retries: 5, delay: 15 }];
    case 'install-packages':
      return [{ id: step.id, argv: pm().install(a.packages.map(pm().spec), a.fromRepo), retries: 3, delay: 15 }];
    case 'place-files':
      return a.paths.map((path, i) => {
        const f = plan.files.find((x) => x.path === path);
        if (!f) throw new Error(`internal: step ${step.id} places unknown file ${path}`);
        return {
          id: a.paths.length === 1 ? step.id : `${step.id}-${i + 1}`,
          // runcmd runs as root: a root:root file needs no -o/-g (install gives it the caller's).
          argv: ['install', '-D', '-m', octalMode(f.mode), ...(f.owner === 'root' && f.group === 'root' ? [] : ['-o', f.owner, '-g', f.group]), stagedPath(path), path],
        };
      });
    case 'hold-packages':
      return pm()
        .hold(a.packages)
        .map((l) => ({ id: l.id ?? step.id, argv: l.argv, ...(l.retries ? { retries: l.retries, delay: 15 } : {}) }));
    case 'release-holds':
      return [{ id: step.id, argv: ['sh', '-c', pm().releaseHolds, 'sh', ...a.packages] }];
    case 'create-directories':
      return plan.directories
        .filter((d) => a.paths.includes(d.path))
        .map((d, i, all) => ({
          id: all.length === 1 ? step.id : `${step.id}-${i + 1}`,
          argv: ['install', '-d', '-m', octalMode(d.mode), d.path],
        }));
    case 'daemon-reload':
      return [{ id: step.id, argv: ['systemctl', 'daemon-reload'] }];
    case 'enable-service':
      return [{ id: step.id, argv: ['systemctl', 'enable', a.unit] }];
    case 'mask-units':
      return [{ id: step.id, argv: ['systemctl', 'mask', '--now', ...a.units] }];
    case 'fetch-key':
      return [{ id: step.id, argv: ['python3', `${distro.binDir}/${FETCH_KEY_NAME}`, a.url, a.fingerprint, a.dest], retries: 5, delay: 15 }];
    case 'install-archive':
      return [{ id: step.id, argv: ['sh', '-c', INSTALL_ARCHIVE, 'sh', a.url, a.sha256, a.arch, a.member, a.dest], retries: 3, delay: 15 }];
    case 'install-binary':
      return [{ id: step.id, argv: ['sh', '-c', INSTALL_BINARY, 'sh', a.url, a.sha512, a.arch, a.dest], retries: 3, delay: 15 }];
    case 'install-tree':
      return [{ id: step.id, argv: ['sh', '-c', INSTALL_TREE, 'sh', a.url, a.sha256, a.arch, a.root, a.root], retries: 3, delay: 15 }];
    case 'restart-service':
      return [{ id: step.id, argv: ['systemctl', 'restart', a.unit] }];
    case 'disable-swap':
      return [disableSwapLine(step.id)];
    case 'configure-dnf-proxy':
      return [{ id: step.id, argv: ['python3', '-c', CONFIGURE_DNF_PROXY, a.url, '/etc/dnf/dnf.conf'] }];
    case 'wait-for-socket':
      return [{ id: step.id, argv: ['test', '-S', a.path], retries: 30, delay: 2 }];
    case 'run-command':
      return [{ id: step.id, argv: a.argv }];
    case 'run-shell':
      return [{ id: step.id, argv: ['sh', '-c', a.script] }];
  }
}

/** Where an after-packages file waits until its step installs it. */
export function stagedPath(path: string): string {
  return `${STAGING_DIR}${path}`;
}

/** wrap turns a line into the runcmd array that calls crinit-step. */
export function wrap(line: Line, stepBin: string): string[] {
  const opts = line.retries && line.retries > 1 ? ['--retries', String(line.retries), '--delay', String(line.delay ?? 5)] : [];
  return [stepBin, line.id, ...opts, '--', ...line.argv];
}
