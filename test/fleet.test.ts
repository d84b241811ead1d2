/**
 * Fleets: render --inventory writes one output per node, each exactly what a direct render with
 * that node's values gives; a bad inventory is refused with line:col and nothing is written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, needTool, ROOT, runCli, tempDir, writeTemp } from './helpers.js';

const PROFILE = readFileSync(join(ROOT, 'examples/terraform/node.yaml'), 'utf8');

describe('crinit render --inventory', () => {
  it('YAML: one <name>.user-data per node, equal to the direct render with --var, each profile compiled once', () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', PROFILE);
    writeTemp(
      dir,
      'nodes.yaml',
      [
        'defaults:',
        '  profile: node.yaml',
        'nodes:',
        '  - {name: worker-1, mac: "52:54:00:00:00:01", vars: {hostname: worker-1, node_ip: 10.0.0.11}}',
        '  - {name: worker-2, mac: "52:54:00:00:00:02", vars: {hostname: worker-2, node_ip: 10.0.0.12}}',
        '  - {name: plain, profile: rhel-9/containerd}',
        '',
      ].join('\n'),
    );
    const r = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('wrote 3 nodes to out (2 profiles compiled)\n');
    // With the record of what crinit owns there.
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['.crinit-owned', 'plain.user-data', 'worker-1.user-data', 'worker-2.user-data']);
    for (const [name, ip] of [['worker-1', '10.0.0.11'], ['worker-2', '10.0.0.12']]) {
      const direct = runCli(['render', 'node.yaml', '--var', `hostname=${name}`, '--var', `node_ip=${ip}`], { cwd: dir }).stdout;
      expect(readFileSync(join(dir, 'out', `${name}.user-data`), 'utf8')).toBe(direct);
    }
    expect(readFileSync(join(dir, 'out', 'plain.user-data'), 'utf8')).toBe(runCli(['render', 'rhel-9/containerd']).stdout);
  });

  it('every output is mode 0600 (root-only) whatever the umask, and the record of what crinit owns 0644', () => {
    // Under a umask that takes no bit of 0600, crinit learns it from the first file and sets no
    // mode again; under one that does (0277 gives 0400), it sets 0600 on every file.
    for (const umask of ['0022', '0077', '0277']) {
      const dir = tempDir();
      writeTemp(dir, 'node.yaml', PROFILE);
      writeTemp(dir, 'nodes.yaml', `nodes:\n${Array.from({ length: 5 }, (_, i) => `  - {name: w${i}, profile: node.yaml, vars: {hostname: w${i}, node_ip: 10.0.0.${i + 1}}}`).join('\n')}\n`);
      const r = spawnSync('sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, CLI, 'render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      for (let i = 0; i < 5; i++) expect((statSync(join(dir, 'out', `w${i}.user-data`)).mode & 0o777).toString(8), `umask ${umask}`).toBe('600');
      expect((statSync(join(dir, 'out', '.crinit-owned')).mode & 0o777).toString(8), `umask ${umask}`).toBe('644');
    }
  });

  it('a value that spells another variable\'s placeholder word stays as it is, as with --var', () => {
    // The profile is compiled once with a word standing for each variable (crinittfvar0x for a,
    // crinittfvar1x for b); a node's value is put in once, never read again for another word.
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', 'extends: ubuntu-24.04/containerd\nfiles:\n  - path: /etc/crinit-node/${a}\n    content: "b=${b}\\n"\n');
    writeTemp(dir, 'nodes.yaml', 'nodes:\n  - {name: w1, profile: node.yaml, vars: {a: crinittfvar1x, b: crinittfvar0x}}\n');
    const r = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const direct = runCli(['render', 'node.yaml', '--var', 'a=crinittfvar1x', '--var', 'b=crinittfvar0x'], { cwd: dir });
    expect(direct.status, direct.stderr).toBe(0);
    expect(direct.stdout).toContain('/etc/crinit-node/crinittfvar1x');
    expect(readFileSync(join(dir, 'out', 'w1.user-data'), 'utf8')).toBe(direct.stdout);
  });

  it('CSV: a header, quoted fields, and extra columns as variables', () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', PROFILE);
    // As Excel saves "CSV UTF-8": a byte-order mark first, and CRLF line ends.
    writeTemp(dir, 'nodes.csv', '\ufeffname,mac,profile,hostname,node_ip\r\n"w1",52:54:00:00:00:0A,node.yaml,"w1",10.0.0.1\r\nw2,,node.yaml,w2,10.0.0.2\r\n');
    const r = runCli(['render', '--inventory', 'nodes.csv', '-o', 'out'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out', 'w1.user-data'), 'utf8')).toMatch(/NODE_NAME=w1\n *NODE_IP=10\.0\.0\.1/);
  });

  const BAD: { name: string; inventory: string; file?: string; at: string; message: string }[] = [
    { name: 'a bad MAC address', inventory: 'nodes:\n  - name: a\n    mac: "52:54:00"\n    profile: debian-12/containerd\n', at: 'nodes.yaml:2:5', message: 'the MAC address of a is not valid' },
    { name: 'a repeated name', inventory: 'nodes:\n  - {name: a, profile: debian-12/containerd}\n  - {name: a, profile: debian-12/containerd}\n', at: 'nodes.yaml:3:5', message: 'a repeats the name of the node at line 2' },
    { name: 'a repeated MAC', inventory: 'nodes:\n  - {name: a, mac: "52:54:00:00:00:01", profile: debian-12/containerd}\n  - {name: b, mac: "52:54:00:00:00:01", profile: debian-12/containerd}\n', at: 'nodes.yaml:3:5', message: 'b repeats the MAC address of the node at line 2' },
    { name: 'an unknown key', inventory: 'nodes:\n  - {name: a, profil: debian-12/containerd}\n', at: 'nodes.yaml:2:15', message: 'unknown key "profil" in a node' },
    { name: 'a missing variable', inventory: 'nodes:\n  - {name: a, profile: node.yaml, vars: {hostname: a}}\n', at: 'nodes.yaml:2:5', message: 'a gives no value for node_ip, which its profile uses' },
    { name: 'an unsafe value', inventory: 'nodes:\n  - {name: a, profile: node.yaml, vars: {hostname: "a b", node_ip: 1.2.3.4}}\n', at: 'nodes.yaml:2:5', message: 'the value of hostname for a has characters that cannot go into every file' },
    { name: 'a missing profile file', inventory: 'nodes:\n  - {name: a, profile: nope.yaml}\n', at: 'nodes.yaml:2:5', message: 'cannot read the profile "nope.yaml"' },
    { name: 'a CSV row of the wrong width', file: 'nodes.csv', inventory: 'name,profile\na,debian-12/containerd,extra\n', at: 'nodes.csv:2:1', message: 'row has 3 fields, the header 2' },
    { name: 'a CSV header with a column twice', file: 'nodes.csv', inventory: 'name,profile,name\na,debian-12/containerd,b\n', at: 'nodes.csv:1:1', message: 'the CSV header names the column "name" twice' },
    { name: 'CSV text after a closing quote', file: 'nodes.csv', inventory: 'name,profile\n"w1"x,debian-12/containerd\n', at: 'nodes.csv:2:1', message: 'CSV: a quoted field is followed by more than a comma or the end of the row' },
    { name: 'an unclosed CSV quote', file: 'nodes.csv', inventory: 'name,profile\n"w1,debian-12/containerd\n', at: 'nodes.csv:2:1', message: 'CSV: a quoted field is not closed' },
  ];
  for (const c of BAD) {
    it(`refuses ${c.name} with line:col and writes nothing`, () => {
      const dir = tempDir();
      writeTemp(dir, 'node.yaml', PROFILE);
      writeTemp(dir, c.file ?? 'nodes.yaml', c.inventory);
      const r = runCli(['render', '--inventory', c.file ?? 'nodes.yaml', '-o', 'out'], { cwd: dir });
      expect(r.status).toBe(1);
      expect(r.stderr.split('\n')[0]).toContain(`${c.at}: error E-INVENTORY: ${c.message}`);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    });
  }

  // Per-node values pass the checks the profile's own values pass, exactly as `render --var`
  // would refuse them, located at the value in the inventory.
  const ROLE = 'extends: debian-12/containerd\nterraform:\n  variables: [role, pause]\nruntime:\n  sandboxImage: "${pause}"\nfiles:\n  - path: "/etc/crinit-role/${role}"\n    content: "x"\n';
  const VALUES: { name: string; vars: string; at: string; code: string; message: RegExp }[] = [
    { name: 'a path that climbs into crinit\'s step runner', vars: '{role: "../../usr/local/sbin/crinit-step", pause: "registry.k8s.io/pause:3.10"}', at: 'nodes.yaml:4:18', code: 'E-SCHEMA', message: /w1: with its values of pause, role, the profile is refused \(role\.yaml:7:11\): files\[0\]\.path is not valid/ },
    { name: 'a pause image that is no image reference', vars: '{role: worker, pause: "UPPER::@@"}', at: 'nodes.yaml:4:33', code: 'E-SCHEMA', message: /w1: with its values of pause, role, the profile is refused \(role\.yaml:5:17\): runtime\.sandboxImage/ },
  ];
  for (const c of VALUES) {
    it(`refuses ${c.name} as --var does, at the node's value, and writes nothing`, () => {
      const dir = tempDir();
      writeTemp(dir, 'role.yaml', ROLE);
      writeTemp(dir, 'nodes.yaml', `nodes:\n  - name: w1\n    profile: role.yaml\n    vars: ${c.vars}\n  - {name: w2, profile: role.yaml, vars: {role: worker, pause: "registry.k8s.io/pause:3.10"}}\n`);
      const r = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr.split('\n')[0]).toContain(`${c.at}: error ${c.code}: `);
      expect(r.stderr.split('\n')[0]).toMatch(c.message);
      expect(existsSync(join(dir, 'out'))).toBe(false);
      // The same value given to --var is refused too.
      const vars = /role: "?([^",}]+)"?, pause: "([^"]+)"/.exec(c.vars)!;
      const direct = runCli(['render', 'role.yaml', '--var', `role=${vars[1]}`, '--var', `pause=${vars[2]}`], { cwd: dir });
      expect(direct.status).toBe(1);
      expect(direct.stderr).toContain(`error ${c.code}: `);
    });
  }

  it('refuses list and mapping values, and unknown keys under defaults: and boot:, at line:col', () => {
    const dir = tempDir();
    writeTemp(dir, 'node.yaml', PROFILE);
    for (const [inventory, at, message] of [
      ['nodes:\n  - {name: a, profile: node.yaml, vars: {hostname: [a, b], node_ip: 1.2.3.4}}\n', 'nodes.yaml:2:52', 'the value of hostname is not a string or a number'],
      ['nodes:\n  - {name: a, profile: node.yaml, vars: {hostname: {x: 1}, node_ip: 1.2.3.4}}\n', 'nodes.yaml:2:52', 'the value of hostname is not a string or a number'],
      ['defaults:\n  profle: node.yaml\nnodes:\n  - {name: a, profile: debian-12/containerd}\n', 'nodes.yaml:2:3', 'unknown key "profle" in defaults:'],
      ['defaults:\n  boot: {kernel: "http://x/k", initrd: "http://x/i", cmdline: "x"}\nnodes:\n  - {name: a, profile: debian-12/containerd}\n', 'nodes.yaml:2:54', 'unknown key "cmdline" in boot:'],
    ] as const) {
      writeTemp(dir, 'nodes.yaml', inventory);
      const r = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir });
      expect(r.status, inventory).toBe(1);
      expect(r.stderr.split('\n')[0]).toContain(`${at}: error E-INVENTORY: ${message}`);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    }
  });

  it('writes all nodes or none, prunes only what it wrote, and keeps every other file', () => {
    const dir = tempDir();
    const inv = (names: string[]) => writeTemp(dir, 'nodes.yaml', `nodes:\n${names.map((n) => `  - {name: ${n}, profile: debian-12/containerd}`).join('\n')}\n`);
    inv(['a', 'b']);
    expect(runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir }).status).toBe(0);
    writeFileSync(join(dir, 'out', 'README'), 'mine\n');
    // b leaves the inventory: its file goes; the operator's README stays, the same file.
    inv(['a', 'c']);
    const again = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir });
    expect(again.status, again.stderr).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['.crinit-owned', 'README', 'a.user-data', 'c.user-data']);
    expect(readFileSync(join(dir, 'out', 'README'), 'utf8')).toBe('mine\n');
    expect(statSync(join(dir, 'out', 'a.user-data')).mode & 0o777).toBe(0o600);
    // A write that cannot finish (b's file would replace a directory of the operator's) changes
    // nothing at all.
    mkdirSync(join(dir, 'out', 'b.user-data'));
    writeFileSync(join(dir, 'out', 'b.user-data', 'keep'), 'x');
    const a = readFileSync(join(dir, 'out', 'a.user-data'));
    inv(['a', 'b']);
    const blocked = runCli(['render', '--inventory', 'nodes.yaml', '-o', 'out'], { cwd: dir });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stderr).toContain('cannot write to out');
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['.crinit-owned', 'README', 'a.user-data', 'b.user-data', 'c.user-data']);
    expect(readFileSync(join(dir, 'out', 'a.user-data'))).toEqual(a);
    expect(readdirSync(join(dir, 'out', 'b.user-data'))).toEqual(['keep']);
    // No staging directory is left behind.
    expect(readdirSync(dir).filter((n) => n.includes('.crinit-'))).toEqual([]);
  });

  it('on a terminal, the progress line is redrawn at most ten times a second, and ends on the last node', (ctx) => {
    needTool(ctx, 'script', 'bsdutils');
    const dir = tempDir();
    const lines = Array.from({ length: 2000 }, (_, i) => `  - {name: n${i}, profile: debian-12/containerd}`);
    writeFileSync(join(dir, 'nodes.yaml'), `nodes:\n${lines.join('\n')}\n`);
    // script(1) gives crinit a terminal for stderr.
    const r = spawnSync('script', ['-qec', `${process.execPath} ${CLI} render --inventory nodes.yaml -o out`, '/dev/null'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const draws = r.stdout.split('\r[').length - 1;
    // One draw per node before; a run of 2,000 nodes would need over 100 s to reach 1,000 draws.
    expect(draws).toBeGreaterThan(0);
    expect(draws).toBeLessThan(1000);
    expect(r.stdout).toContain('2000/2000');
  });

  it('usage: a profile and --inventory together, or --inventory without -o', () => {
    expect(runCli(['render', 'debian-12/containerd', '--inventory', 'x.yaml']).status).toBe(2);
    expect(runCli(['render', '--inventory', 'x.yaml']).status).toBe(1);
  });
});
