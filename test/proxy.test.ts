/**
 * The proxy (proxy:): apt's and dnf's own settings, crinit's step environment, a drop-in per
 * service that fetches, and Ignition's ignition.proxy. Each is read back by the tool that reads
 * it on the node where this machine has it (apt-config, sh, python3, ignition-validate).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { redact } from '../dist/diagnostics.js';
import { doc, fileContent, type CloudConfig } from './cloud-config.js';
import { DISTROS, needTool, supportsKubernetes, runCli, tempDir, writeTemp } from './helpers.js';
import { applyIgnition, decodeDataUrl, IGNITION_BIN } from './ignition-config.js';

const PROXY = 'http://node:s3cr%40t$&@proxy.example.com:3128';
const SET = [`proxy={"http": "${PROXY}", "https": "${PROXY}", "noProxy": [".example.com", "10.0.0.0/8", "localhost"]}`, 'kubernetes={"version": "1.36", "podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"}'];
const NO_PROXY = '.example.com,10.0.0.0/8,localhost,127.0.0.1,::1,169.254.169.254,10.244.0.0/16,10.96.0.0/12';


/**
 * environment reads a service's proxy drop-in as systemd does: it must hold no Environment= (whose
 * values any user can read over D-Bus, systemd.exec(5)), only EnvironmentFile= naming crinit's
 * root-only proxy.env, which is then read by systemd's rules for the form crinit writes there:
 * KEY='value' lines (single quotes: nothing inside is expanded or escaped), # comments.
 */
function environment(unit: string, envFile: string): Record<string, string> {
  expect(unit).not.toMatch(/^Environment=/m);
  expect(unit.split('\n').filter((l) => l.startsWith('EnvironmentFile='))).toEqual(['EnvironmentFile=/var/lib/crinit/proxy.env']);
  const out: Record<string, string> = {};
  for (const line of envFile.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)='([^']*)'$/.exec(line);
    expect(m, line).not.toBeNull();
    out[m![1]!] = m![2]!;
  }
  return out;
}

/** What a POSIX shell sees after sourcing the proxy environment file. */
function sourced(text: string): Record<string, string> {
  const file = writeTemp(tempDir(), 'proxy.env', text);
  const names = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];
  // As crinit-step reads it: every assignment exported (set -a).
  const r = spawnSync('sh', ['-c', `set -a; . "$1"; set +a; for n in ${names.join(' ')}; do eval "printf '%s=%s\\n' \\"\\$n\\" \\"\\\${$n-}\\""; done; env | grep -c _PROXY= || true`, 'sh', file], { encoding: 'utf8', env: {} });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  const out: Record<string, string> = {};
  for (const l of lines.slice(0, names.length)) out[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  // Exported, not only set: the commands the steps run see them.
  expect(Number(lines[names.length])).toBeGreaterThanOrEqual(2);
  return out;
}

/** apt's own reading of an apt.conf file. */
function aptConfig(text: string, key: string): string {
  const file = writeTemp(tempDir(), 'apt.conf', text);
  const r = spawnSync('apt-config', ['-c', file, 'shell', 'V', key], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const m = /^V='(.*)'$/.exec(r.stdout.trim());
  return m ? m[1]!.replace(/'\\''/g, "'") : '';
}

describe('proxy', () => {
  for (const d of DISTROS.filter(supportsKubernetes)) {
    it(`${d}: every service that fetches gets the proxy, and the steps too`, () => {
      for (const rt of ['containerd', 'docker', ...(d === 'amazonlinux-2023' ? [] : ['cri-o'])]) {
        const c = doc(`${d}/${rt}`, SET);
        const service = { containerd: 'containerd.service', docker: 'docker.service', 'cri-o': 'crio.service' }[rt]!;
        const expected = { HTTP_PROXY: PROXY, http_proxy: PROXY, HTTPS_PROXY: PROXY, https_proxy: PROXY, NO_PROXY, no_proxy: NO_PROXY };
        const envFile = fileContent(c, '/var/lib/crinit/proxy.env');
        for (const unit of [service, 'kubelet.service']) {
          const dropin = fileContent(c, `/etc/systemd/system/${unit}.d/20-crinit-proxy.conf`);
          expect(dropin).toMatch(/^\[Service\]$/m);
          expect(environment(dropin, envFile), `${d}/${rt} ${unit}`).toEqual(expected);
          // The credentials are in no file any user can read.
          expect(dropin).not.toContain('s3cr');
        }
        for (const f of c.write_files.filter((x) => x.content.includes('s3cr'))) expect(f.permissions, f.path).toBe('0600');
        // cri-dockerd pulls nothing itself; dockerd does.
        expect(c.write_files.some((f) => f.path.includes('cri-docker.service.d/20-crinit-proxy'))).toBe(false);
        const env = c.write_files.find((f) => f.path === '/var/lib/crinit/proxy.env')!;
        expect(env.permissions).toBe('0600');
        expect(sourced(env.content)).toEqual(expected);
        const apt = !d.startsWith('rhel') && !d.startsWith('amazon');
        const ids = c.runcmd.map((l) => l[1]);
        if (apt) {
          const conf = c.write_files.find((f) => f.path === '/etc/apt/apt.conf.d/90crinit-proxy.conf')!;
          expect(conf.permissions).toBe('0600');
          expect(ids).not.toContain('configure-dnf-proxy');
        } else {
          // This proxy has credentials: dnf.conf, which every user reads, is left alone, and dnf
          // takes the proxy from crinit-step's root-only environment (the proxy.env above).
          expect(ids).not.toContain('configure-dnf-proxy');
          expect(JSON.stringify(c.runcmd)).not.toContain('s3cr');
          expect(c.write_files.some((f) => f.path.startsWith('/etc/apt/'))).toBe(false);
          // Without credentials, dnf.conf gets the proxy, set before dnf's first network call.
          const plain = doc(`${d}/${rt}`, ['proxy.https=http://proxy.example.com:3128']);
          const plainIds = plain.runcmd.map((l) => l[1]);
          expect(plainIds.indexOf('configure-dnf-proxy')).toBeGreaterThan(-1);
          expect(plainIds.indexOf('configure-dnf-proxy')).toBeLessThan(plainIds.indexOf('refresh-package-index'));
        }
      }
    });
  }

  it("apt reads back exactly the proxies given (apt-config, Debian's apt)", (ctx) => {
    needTool(ctx, 'apt-config', 'apt');
    const c = doc('ubuntu-24.04/containerd', ['proxy={"http": "http://proxy.example.com:3128", "https": "https://u:p%3Aw@secure.example.com"}']);
    const conf = fileContent(c, '/etc/apt/apt.conf.d/90crinit-proxy.conf');
    expect(aptConfig(conf, 'Acquire::http::Proxy')).toBe('http://proxy.example.com:3128');
    expect(aptConfig(conf, 'Acquire::https::Proxy')).toBe('https://u:p%3Aw@secure.example.com');
    // Only http given: apt's https proxy stays unset (the same rule as https_proxy).
    const only = fileContent(doc('debian-12/containerd', ['proxy.http=http://proxy.example.com:3128']), '/etc/apt/apt.conf.d/90crinit-proxy.conf');
    expect(aptConfig(only, 'Acquire::https::Proxy')).toBe('');
  });

  it('adversarial proxy URLs round-trip through the drop-in, the shell file and apt (150 runs)', (ctx) => {
    needTool(ctx, 'apt-config', 'apt');
    const userChar = fc.constantFrom(...'abcXYZ019-._~!$&()*+,;=%'.split(''));
    const arb = fc.record({
      user: fc.string({ unit: userChar, minLength: 1, maxLength: 12 }),
      pass: fc.string({ unit: userChar, minLength: 0, maxLength: 12 }),
      host: fc.constantFrom('proxy.example.com', '10.1.2.3', '[fd00::1]', 'p-1.corp'),
      port: fc.integer({ min: 1, max: 65535 }),
      scheme: fc.constantFrom('http', 'https'),
    });
    fc.assert(
      fc.property(arb, ({ user, pass, host, port, scheme }) => {
        const url = `${scheme}://${user}${pass ? `:${pass}` : ''}@${host}:${port}`;
        const r = compile({ profile: 'ubuntu-24.04/containerd', set: [`proxy={"https": ${JSON.stringify(url)}}`] });
        if (!r.output) {
          // Refused at the input (say a lone % that is no percent-escape): never half-written.
          expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
          expect(r.diagnostics.map((d) => d.message + (d.hint ?? '')).join('\n')).not.toContain(`${user}:${pass}@`);
          return;
        }
        const c = parseYaml(r.output, { version: '1.1' }) as CloudConfig;
        expect(environment(fileContent(c, '/etc/systemd/system/containerd.service.d/20-crinit-proxy.conf'), fileContent(c, '/var/lib/crinit/proxy.env')).HTTPS_PROXY).toBe(url);
        expect(sourced(fileContent(c, '/var/lib/crinit/proxy.env')).https_proxy).toBe(url);
        expect(aptConfig(fileContent(c, '/etc/apt/apt.conf.d/90crinit-proxy.conf'), 'Acquire::https::Proxy')).toBe(url);
      }),
      { numRuns: 150 },
    );
  });

  it("dnf's proxy step sets proxy= in [main], keeps the rest of dnf.conf and its mode (run for real)", () => {
    const c = doc('rhel-9/containerd', ['proxy={"https": "http://proxy.example.com:3128"}']);
    const argv = c.runcmd.find((l) => l[1] === 'configure-dnf-proxy')!;
    const cmd = argv.slice(argv.indexOf('--') + 1);
    expect(cmd.slice(-2)).toEqual(['http://proxy.example.com:3128', '/etc/dnf/dnf.conf']);
    const file = writeTemp(tempDir(), 'dnf.conf', '# see man dnf.conf\n[main]\ngpgcheck=1\nproxy = http://old:1\ninstallonly_limit=3\n\n[other]\nproxy=http://keep:2\n');
    chmodSync(file, 0o644);
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(cmd[0]!, [...cmd.slice(1, -1), file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(readFileSync(file, 'utf8')).toBe('# see man dnf.conf\n[main]\nproxy=http://proxy.example.com:3128\ngpgcheck=1\ninstallonly_limit=3\n\n[other]\nproxy=http://keep:2\n');
    // Every user's dnf still reads it.
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it('the real ignition writes every file that holds the credentials 0600, and no other file holds them', (ctx) => {
    if (!existsSync(IGNITION_BIN)) {
      needTool(ctx, IGNITION_BIN, 'ignition');
    }
    for (const os of ['fcos', 'flatcar']) {
      const r = compile({ profile: `${os}/containerd`, set: [`proxy={"http": "${PROXY}", "https": "${PROXY}"}`, 'kubernetes.controlPlaneEndpoint=api.corp'] });
      expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
      const dir = tempDir();
      const root = join(dir, 'root');
      mkdirSync(root);
      applyIgnition(r.output!, root, dir);
      const holding: string[] = [];
      const walk = (d: string): void => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.isFile() && readFileSync(p, 'utf8').includes('s3cr')) holding.push(p);
        }
      };
      walk(root);
      expect(holding.map((p) => p.slice(root.length))).toEqual(['/var/lib/crinit/proxy.env']);
      for (const p of holding) expect(statSync(p).mode & 0o777, p).toBe(0o600);
    }
  });

  it('Ignition: ignition.proxy, the runtime drop-in and the step environment; ignition-validate accepts it', (ctx) => {
    needTool(ctx, 'ignition-validate', 'ignition');
    for (const os of ['fcos', 'flatcar']) {
      const r = compile({ profile: `${os}/containerd`, set: ['proxy={"http": "http://proxy.example.com:3128", "https": "https://proxy.example.com:3129", "noProxy": [".corp"]}'] });
      expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
      const ign = JSON.parse(r.output!) as { ignition: { proxy: unknown }; storage: { files: { path: string; mode?: number; contents: { source: string; compression?: string } }[] }; systemd: { units: { name: string; dropins?: { name: string; contents: string }[] }[] } };
      // kubeadm's default service subnet bypasses the proxy too.
      expect(ign.ignition.proxy).toEqual({ httpProxy: 'http://proxy.example.com:3128', httpsProxy: 'https://proxy.example.com:3129', noProxy: ['.corp', 'localhost', '127.0.0.1', '::1', '169.254.169.254', '10.96.0.0/12'] });
      const dropin = ign.systemd.units.find((u) => u.name === 'containerd.service')!.dropins!.find((x) => x.name === '20-crinit-proxy.conf')!;
      // Fedora CoreOS: the daemon that downloads layered packages, and the one that fetches OS updates.
      const names = ign.systemd.units.filter((u) => u.dropins?.some((x) => x.name === '20-crinit-proxy.conf')).map((u) => u.name).sort();
      expect(names).toEqual(os === 'fcos' ? ['containerd.service', 'kubelet.service', 'rpm-ostreed.service', 'zincati.service'] : ['containerd.service', 'kubelet.service']);
      // kubelet is not installed by crinit here, but gets the proxy when it arrives (a sysext, a snippet).
      const env = ign.storage.files.find((f) => f.path === '/var/lib/crinit/proxy.env')!;
      // Ignition writes drop-ins 0644 (they have no mode): the values are in this file, mode 0600.
      expect(env.mode).toBe(0o600);
      const envText = decodeDataUrl(env.contents.source, env.contents.compression);
      expect(environment(ign.systemd.units.find((u) => u.name === 'kubelet.service')!.dropins!.find((x) => x.name === '20-crinit-proxy.conf')!.contents, envText).HTTP_PROXY).toBe('http://proxy.example.com:3128');
      expect(environment(dropin.contents, envText).HTTPS_PROXY).toBe('https://proxy.example.com:3129');
      expect(sourced(envText).http_proxy).toBe('http://proxy.example.com:3128');
      const file = writeTemp(tempDir(), `${os}.ign`, r.output!);
      const v = spawnSync('ignition-validate', [file], { encoding: 'utf8' });
      expect(v.status, v.stdout + v.stderr).toBe(0);
      expect(v.stdout + v.stderr).toBe('');
    }
    // ignition.proxy exists from spec 3.1.0 on.
    const old = compile({ profile: 'fcos/containerd', set: ['ignition.version=3.0.0', 'proxy.http=http://proxy.example.com:3128'] });
    expect(old.output).toBeUndefined();
    expect(old.diagnostics.map((d) => d.message).join('\n')).toContain('ignition.proxy');
    // An http:// proxy for https resources: Ignition warns, and so does crinit, at the line.
    const plain = compile({ profile: 'fcos/containerd', set: ['proxy.https=http://proxy.example.com:3128'] });
    expect(plain.diagnostics.map((d) => d.code)).toContain('W-PROXY-PLAINTEXT');
  });

  it('redact() hides every userinfo whole, whatever it holds, in one pass', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ minLength: 1, maxLength: 30 }).filter((p) => !/[/?#\r\n]/.test(p)), fc.string({ maxLength: 20 }), (before, userinfo, after) => {
        const secret = `SECRET${userinfo}`;
        const text = `${before.replace(/:\/\//g, '')} http://${secret}@proxy.example.com:3128/x ${after.replace(/:\/\//g, '')}`;
        expect(redact(text)).not.toContain('SECRET');
        expect(redact(text)).toContain('http://***@proxy.example.com:3128/x');
      }),
      { numRuns: 300 },
    );
    // A long line of URL-like text is handled (the old pattern was quadratic on it).
    expect(redact(`${'a://'.repeat(20_000)}@x`)).toMatch(/\*\*\*@x$/);
  });

  it('refuses a bad proxy at line:col without echoing its credentials', () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'node.yaml', 'extends: ubuntu-24.04/containerd\nproxy:\n  https: "http://admin:hunter2@proxy.example.com:3128/path"\n');
    const r = runCli(['render', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('node.yaml:3:10: error E-SCHEMA: proxy.https is not valid: expected a proxy URL');
    expect(r.stderr).not.toContain('hunter2');
    // Whatever the userinfo holds (spaces, quotes, an unencoded @, a bad % escape), it is refused
    // at line:col and none of it is shown, in the frame or anywhere else.
    for (const [url, secret] of [
      ['http://user:pa ss-SECRET@proxy.example.com:3128', 'SECRET'],
      ["http://user:it's-SECRET@proxy.example.com:3128", 'SECRET'],
      ['http://user:p@ss-SECRET@proxy.example.com:3128', 'SECRET'],
      ['http://user:a%b-SECRET@proxy.example.com:3128', 'SECRET'],
      ['http://us%zzer-SECRET:x@proxy.example.com:3128', 'SECRET'],
    ]) {
      const bad = runCli(['render', writeTemp(dir, 'bad.yaml', `extends: ubuntu-24.04/containerd\nproxy:\n  https: ${JSON.stringify(url)}\n`)]);
      expect(bad.status, url).toBe(1);
      expect(bad.stderr, url).toContain('bad.yaml:3:10: error E-SCHEMA: proxy.https is not valid: expected a proxy URL');
      expect(bad.stderr, url).not.toContain(secret);
      expect(bad.stdout).toBe('');
    }
    const none = runCli(['render', writeTemp(dir, 'none.yaml', 'extends: ubuntu-24.04/containerd\nproxy:\n  noProxy: [.corp]\n')]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('none.yaml:3:3: error E-RULE-REQUIRED: proxy names neither an http nor an https proxy');
  });
});
