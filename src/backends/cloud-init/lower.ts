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
import type { Distro, VersionSpec } from '../../profile/types.js';
import type { PlanPackage, PlanStep, RenderedPlan } from '../../plan/types.js';
import { disableSwapLine, type Line } from '../shared.js';

export const STAGING_DIR = `${STATE_DIR}/staged`;


const APT_ENV = ['env', 'DEBIAN_FRONTEND=noninteractive', 'NEEDRESTART_MODE=a'];
// apt waits up to 10 minutes for a dpkg lock held by apt-daily or unattended-upgrades, and
// retries each download; crinit-step retries the whole command on top of that.
const APT_GET = [...APT_ENV, 'apt-get', '-q', '-o', 'Acquire::Retries=5', '-o', 'DPkg::Lock::Timeout=600'];
const DNF = ['dnf', '-y', '-q', '--setopt=retries=10'];

/**
 * dnf install puts a missing package in at the newest release of its pin; the upgrade moves one
 * already installed (a re-run) to that release too. On a first run it has nothing to do.
 */
const DNF_INSTALL = `set -e; ${DNF.join(' ')} install "$@"; ${DNF.join(' ')} upgrade "$@"`;

/**
 * The holds crinit itself set on an earlier run: released only for the packages named, and only
 * where they are held (apt-mark hold and dnf versionlock), so that a re-run can install the
 * newest release of each pin; the hold-packages step sets them again. A first run finds none.
 */
const RELEASE_APT_HOLDS = 'for p in "$@"; do if apt-mark showhold "$p" 2>/dev/null | grep -qx "$p"; then apt-mark unhold "$p" || exit 1; fi; done';
const RELEASE_DNF_LOCKS = 'locks=$(dnf -q versionlock list 2>/dev/null) || exit 0; for p in "$@"; do if printf "%s\\n" "$locks" | grep -q "^$p-[0-9]*:"; then dnf -q versionlock delete "$p" || exit 1; fi; done';

/** versionGlob turns a version spec into the pattern apt (`name=…`) and dnf (`name-…`) accept. */
export function versionGlob(v: VersionSpec, patchSuffix: '-' | '~'): string {
  switch (v.kind) {
    case 'major':
    case 'minor':
      return `${v.raw}.*`;
    case 'release':
      return `${v.raw}${patchSuffix}*`;
    case 'exact':
      return v.raw;
  }
}

export function packageSpec(p: PlanPackage, distro: Distro): string {
  if (!p.version) return p.name;
  const glob = `${p.epoch !== undefined && p.version.kind !== 'exact' ? `${p.epoch}:` : ''}${versionGlob(p.version, p.patchSuffix)}`;
  return distro.packageManager === 'apt' ? `${p.name}=${glob}` : `${p.name}-${glob}`;
}

/**
 * removeInstalled removes those of the named packages that are installed. A name the system does
 * not know is not an error, so one list serves fresh images with and without those packages.
 */
function removeInstalled(apt: boolean, packages: readonly string[]): string[] {
  const installed = apt
    ? 'dpkg-query -W -f "\\${db:Status-Abbrev}" "$p" 2>/dev/null | grep -q "^ii"'
    : 'rpm -q --quiet "$p"';
  const remove = apt
    ? 'exec env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 remove -y "$@"'
    : 'exec dnf -y -q remove "$@"';
  const script = `for p in "$@"; do shift; if ${installed}; then set -- "$@" "$p"; fi; done; if [ "$#" -eq 0 ]; then exit 0; fi; ${remove}`;
  return ['sh', '-c', script, 'sh', ...packages];
}

/**
 * installArchive downloads a release tarball, checks its sha256 before it is opened, and
 * installs one member. The architecture is the profile's; a machine of another one stops here
 * rather than run a binary it cannot execute.
 */
const INSTALL_ARCHIVE = [
  'set -eu',
  'url=$1; sum=$2; arch=$3; member=$4; dest=$5',
  'case $(uname -m) in x86_64) have=amd64 ;; aarch64 | arm64) have=arm64 ;; *) have=$(uname -m) ;; esac',
  'if [ "$have" != "$arch" ]; then echo "crinit: this machine is $have, but the profile says arch: $arch" >&2; exit 1; fi',
  'tmp=$(mktemp -d)',
  'trap \'rm -rf "$tmp"\' EXIT',
  'curl -fsSL --retry 5 --retry-delay 5 -o "$tmp/archive.tgz" "$url"',
  'echo "$sum  $tmp/archive.tgz" | sha256sum -c --quiet -',
  'tar -xzf "$tmp/archive.tgz" -C "$tmp" "$member"',
  'install -D -m 0755 "$tmp/$member" "$dest"',
].join('; ');

/**
 * FETCH_KEY downloads a repository key and installs it only if it holds exactly one primary key
 * whose OpenPGP v4 fingerprint (SHA-1 over 0x99, the length and the public-key packet) is the
 * pinned one. It is Python because python3 is on every machine cloud-init runs on, and gpg is not.
 */
export const FETCH_KEY = [
  '#!/usr/bin/python3',
  '# crinit-fetch-key URL FINGERPRINT DEST: installs the armored key at URL as DEST only if it holds',
  '# exactly one primary key and its OpenPGP v4 fingerprint is FINGERPRINT. Generated by crinit.',
  'import base64, hashlib, os, sys, urllib.request',
  'url, want, dest = sys.argv[1:4]',
  'text = urllib.request.urlopen(url, timeout=60).read().decode("ascii")',
  'lines = text.strip().splitlines()',
  'begin, end = "-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----END PGP PUBLIC KEY BLOCK-----"',
  'if lines.count(begin) != 1 or lines.count(end) != 1: sys.exit("crinit: %s must hold exactly one armored key block" % url)',
  'body = lines[lines.index(begin) + 1:lines.index(end)]',
  'body = body[body.index("") + 1:] if "" in body else body',
  'raw = base64.b64decode("".join(l for l in body if not l.startswith("=")))',
  'i, primaries = 0, []',
  'while i < len(raw):',
  '    h = raw[i]',
  '    if h & 0x40:',
  '        tag, l = h & 0x3F, raw[i + 1]',
  '        if l < 192: n, i = l, i + 2',
  '        elif l < 224: n, i = ((l - 192) << 8) + raw[i + 2] + 192, i + 3',
  '        elif l == 255: n, i = int.from_bytes(raw[i + 2:i + 6], "big"), i + 6',
  '        else: sys.exit("crinit: unexpected partial packet in %s" % url)',
  '    else:',
  '        tag, size = (h >> 2) & 0xF, (1, 2, 4, 0)[h & 3]',
  '        if size == 0: sys.exit("crinit: unexpected packet length in %s" % url)',
  '        n, i = int.from_bytes(raw[i + 1:i + 1 + size], "big"), i + 1 + size',
  '    if tag == 6: primaries.append(raw[i:i + n])',
  '    i += n',
  'if len(primaries) != 1: sys.exit("crinit: %s holds %d primary keys, not 1" % (url, len(primaries)))',
  'pk = primaries[0]',
  'got = hashlib.sha1(b"\\x99" + len(pk).to_bytes(2, "big") + pk).hexdigest().upper() if pk[0] == 4 else "(not a v4 key)"',
  'if got != want: sys.exit("crinit: the key at %s has fingerprint %s, not the pinned %s" % (url, got, want))',
  'os.makedirs(os.path.dirname(dest), exist_ok=True)',
  'with open(dest + ".tmp", "w") as f: f.write(text.strip() + "\\n")',
  'os.chmod(dest + ".tmp", 0o644)',
  'os.replace(dest + ".tmp", dest)',
].join('\n');


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
  const apt = distro.packageManager === 'apt';
  const a = step.action;
  switch (a.kind) {
    case 'load-modules':
      return [{ id: step.id, argv: ['modprobe', '-a', ...a.modules] }];
    case 'apply-sysctls':
      return [{ id: step.id, argv: ['sysctl', '--system'] }];
    case 'remove-packages':
      return [
        {
          id: step.id,
          argv: removeInstalled(apt, a.packages),
        },
      ];
    case 'refresh-package-index':
      return [{ id: step.id, argv: apt ? [...APT_GET, 'update'] : [...DNF, 'makecache'], retries: 5, delay: 15 }];
    case 'install-packages':
      return [
        {
          id: step.id,
          argv: apt
            ? [...APT_GET, '-o', 'Dpkg::Options::=--force-confold', 'install', '-y', ...a.packages.map((p) => packageSpec(p, distro))]
            : ['sh', '-c', DNF_INSTALL, 'sh', ...(a.fromRepo ? [`--disableexcludes=${repoName(a.fromRepo)}`] : []), ...a.packages.map((p) => packageSpec(p, distro))],
          retries: 3,
          delay: 15,
        },
      ];
    case 'place-files':
      return a.paths.map((path, i) => {
        const f = plan.files.find((x) => x.path === path);
        if (!f) throw new Error(`internal: step ${step.id} places unknown file ${path}`);
        return {
          id: a.paths.length === 1 ? step.id : `${step.id}-${i + 1}`,
          argv: ['install', '-D', '-m', octalMode(f.mode), '-o', f.owner, '-g', f.group, stagedPath(path), path],
        };
      });
    case 'hold-packages':
      return apt
        ? [{ id: step.id, argv: ['apt-mark', 'hold', ...a.packages] }]
        : [
            { id: 'install-versionlock-plugin', argv: [...DNF, 'install', 'dnf-command(versionlock)'], retries: 3, delay: 15 },
            { id: step.id, argv: ['dnf', '-q', 'versionlock', 'add', ...a.packages] },
          ];
    case 'release-holds':
      return [{ id: step.id, argv: ['sh', '-c', apt ? RELEASE_APT_HOLDS : RELEASE_DNF_LOCKS, 'sh', ...a.packages] }];
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

/** The name a plan repository gets in apt sources and yum repo files. */
export function repoName(id: string): string {
  return `crinit-${id}`;
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
