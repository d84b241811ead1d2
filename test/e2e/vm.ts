/**
 * Real machines for the end-to-end tests: a Debian VM image built once with mmdebstrap and
 * cached outside the repository (keyed by a hash of everything that goes into it), and boots of
 * throw-away overlays under QEMU's software emulation with a NoCloud seed carrying crinit's
 * output. A baked-in reporter unit prints the machine's state on the second serial port.
 *
 * Facts this relies on (shared reference vm-e2e.md): /dev/kvm here cannot run a stock kernel,
 * so the VM runs under TCG; about one boot in ten wedges early in the kernel, hence the
 * watchdog and one retry.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyIgnition, IGNITION_BIN } from '../ignition-config.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const IMAGE_DIR = join(HERE, 'image');

export const TOOLS: readonly [cmd: string, pkg: string][] = [
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['qemu-img', 'qemu-utils'],
  ['mmdebstrap', 'mmdebstrap'],
  ['cloud-localds', 'cloud-image-utils'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['gpg', 'gnupg'],
  ['dpkg-deb', 'dpkg'],
  ['apt-ftparchive', 'apt-utils'],
];

/** missingRequirements names what this machine lacks for the e2e suite (empty when ready). */
export function missingRequirements(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (mmdebstrap and mkfs.ext4 -d build the image as root)');
  for (const [cmd, pkg] of TOOLS) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) missing.push(`${cmd} (apt-get install ${pkg})`);
  }
  return missing;
}

export const CACHE_DIR = process.env.CRINIT_E2E_CACHE ?? '/var/cache/crinit-e2e';

/**
 * The package set of Debian's own cloud images: the Depends of the metapackage
 * `debian-cloud-images-packages` 0.0.6 (source debian-cloud-images, the Debian Cloud Team's FAI
 * builds; `apt-cache show debian-cloud-images-packages` on bookworm), installed without
 * Recommends as the images are. That list is the union over every cloud; a generic image leaves
 * out the provider agents and tools below. With it come `gpgv` (apt needs it) but not `gnupg`,
 * `gpg` or `dirmngr`, as on the real images (canonical/cloud-init#5535). Nothing is added because
 * crinit's output needs it: what the output needs, it must install or do without.
 */
export const CLOUD_IMAGE_PACKAGES = [
  'apparmor', 'apt-listchanges', 'apt-utils', 'bash-completion', 'bind9-host', 'ca-certificates', 'chrony',
  'cloud-guest-utils', 'cloud-init', 'cloud-initramfs-growroot', 'curl', 'ethtool', 'iptables', 'iputils-ping',
  'less', 'libnss-resolve', 'libpam-systemd', 'linux-image-amd64', 'logrotate', 'man-db', 'manpages', 'nano',
  'netbase', 'netplan.io', 'openssh-server', 'pciutils', 'psmisc', 'reportbug', 'rsyslog', 'screen', 'socat',
  'sudo', 'tcpdump', 'traceroute', 'unattended-upgrades', 'uuid-runtime', 'vim', 'vim-tiny', 'whiptail', 'xz-utils',
] as const;

/**
 * Left out of the metapackage's list, each with its reason: the provider agents and tools of
 * clouds this VM is not on, the cloud kernel (the generic image's linux-image-amd64 is used) and
 * the bootloader (the VM boots the image's kernel directly).
 */
export const CLOUD_IMAGE_LEFT_OUT = [
  'amazon-ec2-utils', 'awscli', 'python3-boto', 'google-compute-engine-oslogin', 'google-guest-agent',
  'hyperv-daemons', 'waagent', 'linux-image-cloud-amd64', 'grub-cloud-amd64',
] as const;

/**
 * What makes the root filesystem a bootable system at all (the image's required and important
 * base, which minbase leaves out) and the observation plumbing: a UTF-8 locale for cloud-init's
 * locale module. None of it is what crinit's output relies on.
 */
const BASE_PACKAGES = ['systemd-sysv', 'udev', 'dbus', 'kmod', 'procps', 'iproute2', 'e2fsprogs', 'initramfs-tools', 'locales'];

/**
 * Per suite: trixie splits systemd-resolved out of systemd (libnss-resolve needs it). Both
 * configure the network as the real images do: cloud-init renders netplan, over systemd-networkd.
 */
const SUITE_PACKAGES: Record<string, string[]> = {
  bookworm: [],
  trixie: ['systemd-resolved'],
};

/** The Debian archive this machine's apt already uses; the VM's apt uses it too. */
export function debianMirror(): string {
  const candidates = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822) return deb822[1]!;
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+\S+/m.exec(text);
    if (oneLine) return oneLine[1]!;
  }
  throw new Error('cannot find a Debian archive in /etc/apt; set CRINIT_E2E_MIRROR');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

export interface Image {
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly key: string;
  readonly built: boolean;
  readonly buildSeconds: number;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stderr || r.stdout).slice(-4000)}`);
}

/**
 * ensureImage builds (or finds in the cache) the Debian image for `suite`. The cache key hashes
 * the suite, the package list, the mirror and every file baked into the image.
 */
export function ensureImage(suite = 'bookworm'): Image {
  const mirror = process.env.CRINIT_E2E_MIRROR ?? debianMirror();
  const extra = SUITE_PACKAGES[suite];
  if (!extra) throw new Error(`no e2e package set for suite ${suite}`);
  const packages = [...BASE_PACKAGES, ...CLOUD_IMAGE_PACKAGES, ...extra];
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ suite, packages, mirror, layout: 3 }));
  for (const f of filesUnder(IMAGE_DIR)) hash.update(f.slice(IMAGE_DIR.length)).update(readFileSync(f));
  const key = `${suite}-${hash.digest('hex').slice(0, 16)}`;
  const dir = join(CACHE_DIR, key);
  const image: Omit<Image, 'built' | 'buildSeconds'> = {
    disk: join(dir, 'base.raw'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    key,
  };
  if (existsSync(join(dir, 'READY'))) return { ...image, built: false, buildSeconds: 0 };

  const started = Date.now();
  rmSync(dir, { recursive: true, force: true });
  const work = `${dir}.build`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'tmp'), { recursive: true });
  const tar = join(work, 'rootfs.tar');
  run(
    'mmdebstrap',
    [
      '--variant=minbase',
      '--format=tar',
      // As the cloud images are built: no Recommends (with them, gnupg would come in).
      '--aptopt=APT::Install-Recommends "false"',
      `--include=${packages.join(',')}`,
      `--customize-hook=${join(IMAGE_DIR, 'customize.sh')} "$1"`,
      suite,
      tar,
      mirror,
    ],
    { TMPDIR: join(work, 'tmp') },
  );
  const root = join(work, 'root');
  mkdirSync(root);
  run('tar', ['-xpf', tar, '-C', root, '--numeric-owner']);
  rmSync(tar);
  const boot = readdirSync(join(root, 'boot'));
  const vmlinuz = boot.find((f) => f.startsWith('vmlinuz-'));
  const initrd = boot.find((f) => f.startsWith('initrd.img-'));
  if (!vmlinuz || !initrd) throw new Error(`no kernel or initrd in the image's /boot: ${boot.join(' ')}`);
  writeFileSync(join(work, 'vmlinuz'), readFileSync(join(root, 'boot', vmlinuz)));
  writeFileSync(join(work, 'initrd.img'), readFileSync(join(root, 'boot', initrd)));
  run('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', root, join(work, 'base.raw'), '4G']);
  rmSync(root, { recursive: true, force: true });
  rmSync(join(work, 'tmp'), { recursive: true, force: true });
  writeFileSync(join(work, 'READY'), `${key}\n`);
  mkdirSync(CACHE_DIR, { recursive: true });
  renameSync(work, dir);
  // Older images of this suite are stale (their inputs changed): free their disk.
  for (const old of readdirSync(CACHE_DIR)) {
    if (old.startsWith(`${suite}-`) && old !== key) rmSync(join(CACHE_DIR, old), { recursive: true, force: true });
  }
  return { ...image, built: true, buildSeconds: (Date.now() - started) / 1000 };
}

/** The test VM's network card, so that an inventory can name the machine. */
export const VM_MAC = '52:54:00:12:34:56';

export interface BootOptions {
  readonly name: string;
  /** The cloud-config under test. */
  readonly userData: string;
  /** Deliver it from this NoCloud URL (as seen from the VM) instead; userData is then unused. */
  readonly seedUrl?: string;
  /** Extra kernel arguments, e.g. crinit.holdlock. */
  readonly kernelArgs?: readonly string[];
  /** Overall limit for one boot, seconds. */
  readonly timeoutSeconds?: number;
  /** Boot with no NoCloud seed at all (Ignition stand-in machines). */
  readonly noSeed?: boolean;
  /** Use this run directory as it is (it holds the disk); default: a fresh one per name. */
  readonly runDir?: string;
  /** Let the guest reboot (the same QEMU process boots the same disk again); default: a reboot ends the run. */
  readonly allowReboot?: boolean;
  /**
   * Keep the machine's disk in the run directory after the boot, and boot an existing one again:
   * the same machine, booted once more (a re-run with a new instance-id, or a repair).
   */
  readonly keepDisk?: boolean;
  /** The NoCloud instance-id; default crinit-e2e-NAME. A new one makes cloud-init run again. */
  readonly instanceId?: string;
}

export interface BootResult {
  readonly report: Record<string, string>;
  readonly seconds: number;
  readonly attempts: number;
  readonly consoleTail: string;
}

/** serve answers on 127.0.0.1 (10.0.2.2 inside the VM) from a directory; it logs every request. */
export async function serve(root: string, log: string[]): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/+/, '');
    log.push(`${req.method} /${name}`);
    let body: Buffer | undefined;
    if (!name.split('/').includes('..')) {
      const file = join(root, name);
      body = existsSync(file) && statSync(file).isFile() ? readFileSync(file) : undefined;
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function parseReport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0 && /^[A-Za-z0-9_.-]+$/.test(line.slice(0, eq))) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function tail(file: string, lines = 60): string {
  if (!existsSync(file)) return '(no console output)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

interface Attempt {
  outcome: 'report' | 'wedged-early' | 'timeout' | 'exited';
  report: Record<string, string>;
  seconds: number;
}

async function bootOnce(image: Image, dir: string, opts: BootOptions): Promise<Attempt> {
  const overlay = join(dir, 'overlay.qcow2');
  if (!opts.keepDisk || !existsSync(overlay)) {
    rmSync(overlay, { force: true });
    run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', image.disk, overlay]);
  }
  const consoleLog = join(dir, 'console.log');
  const reportLog = join(dir, 'report.log');
  rmSync(consoleLog, { force: true });
  rmSync(reportLog, { force: true });
  const append = ['root=/dev/vda', 'rw', 'console=ttyS0', 'panic=-1', 'net.ifnames=0', ...(opts.kernelArgs ?? [])];
  if (opts.seedUrl !== undefined) append.push(`ds=nocloud-net;s=${opts.seedUrl}`);
  const args = [
    '-machine', 'q35,accel=tcg', '-cpu', 'max', '-smp', '2', '-m', '2048',
    '-kernel', image.kernel, '-initrd', image.initrd, '-append', append.join(' '),
    '-drive', `file=${overlay},if=virtio,format=qcow2`,
    ...(opts.seedUrl === undefined && !opts.noSeed ? ['-drive', `file=${join(dir, 'seed.img')},if=virtio,format=raw,readonly=on`] : []),
    '-netdev', 'user,id=n0', '-device', `virtio-net-pci,netdev=n0,mac=${VM_MAC}`,
    '-serial', `file:${consoleLog}`, '-serial', `file:${reportLog}`,
    '-display', 'none', '-monitor', 'none', ...(opts.allowReboot ? [] : ['-no-reboot']),
  ];
  const started = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  qemu.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => qemu.on('exit', (code) => resolve(code)));
  const limit = (opts.timeoutSeconds ?? 1500) * 1000;
  let outcome: Attempt['outcome'] = 'exited';
  for (;;) {
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
    const elapsed = Date.now() - started;
    const report = existsSync(reportLog) ? readFileSync(reportLog, 'utf8') : '';
    if (report.includes('REPORT_END=1')) {
      outcome = 'report';
      if (!done) await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
      break;
    }
    if (done) break;
    const consoleText = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
    if (elapsed > 90_000 && !consoleText.includes('Run /init')) {
      outcome = 'wedged-early';
      break;
    }
    if (elapsed > limit) {
      outcome = 'timeout';
      break;
    }
  }
  if (qemu.exitCode === null) {
    qemu.kill('SIGKILL');
    await exited;
  }
  if (outcome === 'exited' && stderr) process.stderr.write(`qemu: ${stderr.slice(-2000)}\n`);
  const report = parseReport(existsSync(reportLog) ? readFileSync(reportLog, 'utf8') : '');
  if (!opts.keepDisk) rmSync(overlay, { force: true });
  return { outcome, report, seconds: (Date.now() - started) / 1000 };
}

/**
 * boot runs one test machine to its report. A boot that wedges (no `Run /init` within 90 s, or
 * no report within the limit) is ended and tried once more, and the test log says so.
 */
export async function boot(image: Image, opts: BootOptions): Promise<BootResult> {
  const dir = opts.runDir ?? join(CACHE_DIR, 'runs', opts.name);
  if (!opts.runDir) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  const metaData = `instance-id: ${opts.instanceId ?? `crinit-e2e-${opts.name}`}\nlocal-hostname: crinit-e2e\n`;
  if (opts.seedUrl === undefined && !opts.noSeed) {
    writeFileSync(join(dir, 'user-data'), opts.userData);
    writeFileSync(join(dir, 'meta-data'), metaData);
    run('cloud-localds', [join(dir, 'seed.img'), join(dir, 'user-data'), join(dir, 'meta-data')]);
  }
  let total = 0;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const a = await bootOnce(image, dir, opts);
    total += a.seconds;
    if (a.outcome === 'report') {
      return { report: a.report, seconds: a.seconds, attempts: attempt, consoleTail: tail(join(dir, 'console.log')) };
    }
    const why = a.outcome === 'wedged-early' ? 'no "Run /init" on the console within 90 s' : a.outcome === 'timeout' ? 'no report within the time limit' : 'qemu exited before the report';
    process.stderr.write(`e2e ${opts.name}: boot attempt ${attempt} ended (${why}) after ${a.seconds.toFixed(0)} s${attempt === 1 ? '; retrying once' : ''}\n`);
    if (attempt === 2) {
      throw new Error(`e2e ${opts.name}: no report after two boots (${total.toFixed(0)} s): ${why}\n--- console tail ---\n${tail(join(dir, 'console.log'))}`);
    }
  }
  throw new Error('unreachable');
}

export function decode(report: Record<string, string>, key: string): string | undefined {
  const v = report[key];
  if (v === undefined || v === 'ABSENT') return undefined;
  return Buffer.from(v, 'base64').toString('utf8');
}

const IGNITION_IMAGE_DIR = join(HERE, 'ignition-image');

/** The Ignition stand-in: Debian with containerd in the image and no cloud-init. */
const IGNITION_PACKAGES = ['systemd-sysv', 'udev', 'dbus', 'kmod', 'procps', 'iproute2', 'linux-image-amd64', 'initramfs-tools', 'containerd'];

export interface RootfsImage {
  readonly tar: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly key: string;
  readonly built: boolean;
  readonly buildSeconds: number;
}

/**
 * ensureIgnitionRootfs builds (or finds in the cache) the stand-in root filesystem as a tar; each
 * test applies its Ignition config to a fresh copy of it.
 */
export function ensureIgnitionRootfs(suite = 'bookworm'): RootfsImage {
  const mirror = process.env.CRINIT_E2E_MIRROR ?? debianMirror();
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ suite, packages: IGNITION_PACKAGES, mirror, layout: 1 }));
  for (const f of filesUnder(IGNITION_IMAGE_DIR)) hash.update(f.slice(IGNITION_IMAGE_DIR.length)).update(readFileSync(f));
  const key = `ignition-${suite}-${hash.digest('hex').slice(0, 16)}`;
  const dir = join(CACHE_DIR, key);
  const image = { tar: join(dir, 'rootfs.tar'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), key };
  if (existsSync(join(dir, 'READY'))) return { ...image, built: false, buildSeconds: 0 };
  const started = Date.now();
  const work = `${dir}.build`;
  rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'tmp'), { recursive: true });
  run(
    'mmdebstrap',
    ['--variant=minbase', '--format=tar', `--include=${IGNITION_PACKAGES.join(',')}`, `--customize-hook=${join(IGNITION_IMAGE_DIR, 'customize.sh')} "$1"`, suite, join(work, 'rootfs.tar'), mirror],
    { TMPDIR: join(work, 'tmp') },
  );
  const names = spawnSync('tar', ['-tf', join(work, 'rootfs.tar')], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout.split('\n');
  const vmlinuz = names.find((n) => /^\.?\/?boot\/vmlinuz-/.test(n));
  const initrd = names.find((n) => /^\.?\/?boot\/initrd\.img-/.test(n));
  if (!vmlinuz || !initrd) throw new Error('no kernel or initrd in the stand-in image');
  run('tar', ['-xf', join(work, 'rootfs.tar'), '-C', work, vmlinuz, initrd]);
  renameSync(join(work, vmlinuz), join(work, 'vmlinuz'));
  renameSync(join(work, initrd), join(work, 'initrd.img'));
  rmSync(join(work, 'boot'), { recursive: true, force: true });
  rmSync(join(work, 'tmp'), { recursive: true, force: true });
  writeFileSync(join(work, 'READY'), `${key}\n`);
  mkdirSync(CACHE_DIR, { recursive: true });
  renameSync(work, dir);
  for (const old of readdirSync(CACHE_DIR)) {
    if (old.startsWith(`ignition-${suite}-`) && old !== key) rmSync(join(CACHE_DIR, old), { recursive: true, force: true });
  }
  return { ...image, built: true, buildSeconds: (Date.now() - started) / 1000 };
}

export interface IgnitionBootOptions {
  readonly name: string;
  /** The Ignition config under test. */
  readonly config: string;
  /** Changes to the fresh root before Ignition runs, to make it more like the OS it stands in for. */
  readonly prepare?: (root: string) => void;
  /** The machine reboots during its first boot (layered packages, a repair). */
  readonly allowReboot?: boolean;
  readonly kernelArgs?: readonly string[];
}

/**
 * bootIgnition applies an Ignition config to a fresh copy of the stand-in root with the real
 * ignition binary (fetch-offline, then files, as in the initramfs), makes the disk, and boots it
 * as a first boot (machine-id `uninitialized`, so systemd applies Ignition's preset).
 */
export async function bootIgnition(image: RootfsImage, opts: IgnitionBootOptions): Promise<BootResult & { ignitionLog: string }> {
  const dir = join(CACHE_DIR, 'runs', opts.name);
  rmSync(dir, { recursive: true, force: true });
  const root = join(dir, 'root');
  mkdirSync(root, { recursive: true });
  run('tar', ['-xpf', image.tar, '-C', root, '--numeric-owner']);
  opts.prepare?.(root);
  const ignitionLog = applyIgnition(opts.config, root, dir);
  writeFileSync(join(root, 'etc', 'machine-id'), 'uninitialized\n');
  const disk = join(dir, 'disk.raw');
  run('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', root, disk, '3G']);
  rmSync(root, { recursive: true, force: true });
  const result = await boot({ disk, kernel: image.kernel, initrd: image.initrd, key: image.key, built: false, buildSeconds: 0 }, { name: opts.name, userData: '', noSeed: true, runDir: dir, ...(opts.allowReboot ? { allowReboot: true } : {}), ...(opts.kernelArgs ? { kernelArgs: opts.kernelArgs } : {}) });
  rmSync(disk, { force: true });
  return { ...result, ignitionLog };
}

export function ignitionBinaryPresent(): boolean {
  return existsSync(IGNITION_BIN);
}
