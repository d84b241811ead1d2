/**
 * Reading crinit's cloud-config output back, as cloud-init and the services on the node do.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';
import { runcmdLine } from './helpers.js';

export interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
  permissions: string;
  owner: string;
}
export interface CloudConfig {
  write_files: WriteFile[];
  /** Each runcmd entry's argv, as /bin/sh splits the line cloud-init writes for it. */
  runcmd: string[][];
  /** The runcmd entries as the document holds them. */
  runcmdLines: (string | string[])[];
  apt?: { preserve_sources_list: boolean; sources?: Record<string, { source: string; key: string }> };
  yum_repos?: Record<string, Record<string, unknown>>;
}

/**
 * readCloudConfig reads a cloud-config as cloud-init does, with write_files' defaults filled in
 * where an entry leaves them out: owner root:root and permissions 0644 (cc_write_files).
 */
export function readCloudConfig(text: string): CloudConfig {
  const doc = parseYaml(text, { version: '1.1' }) as CloudConfig & { runcmd?: (string | string[])[] };
  doc.write_files = (doc.write_files ?? []).map((f: Partial<WriteFile>) => ({ ...f, owner: f.owner ?? 'root:root', permissions: f.permissions ?? '0644' }) as WriteFile);
  const lines = (doc.runcmd ?? []) as (string | string[])[];
  return { ...doc, runcmdLines: lines, runcmd: runcmdArgv(lines) };
}

/**
 * runcmdArgv returns the argv each runcmd entry runs with: cloud-init writes a string entry as it
 * is into its runcmd script, and a list word by word in single quotes (util.shellify). Here each
 * script line is run by /bin/sh with a function in front that prints its arguments.
 */
export function runcmdArgv(lines: readonly (string | readonly string[])[]): string[][] {
  if (lines.length === 0) return [];
  const script = [
    "p() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; printf '\\1\\0'; }",
    ...lines.map((l) => `p ${runcmdLine(l)}`),
  ].join('\n');
  // The script on standard input: a fleet of lines is more than one argument may hold.
  const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(r.status, `${r.stderr}${r.error ?? ''}`).toBe(0);
  const out: string[][] = [[]];
  for (const w of r.stdout.split('\0').slice(0, -1)) {
    if (w === '\x01') out.push([]);
    else out.at(-1)!.push(w);
  }
  out.pop();
  expect(out).toHaveLength(lines.length);
  return out;
}

/**
 * A dnf repository crinit writes: /etc/yum.repos.d/crinit-ID.repo, read by Python's configparser
 * (the INI reading dnf's own config follows), its one section as key/value strings. cloud-init's
 * yum_repos module is never used (22.x runs it only on the distros of its own list).
 */
export function yumRepo(doc: CloudConfig, id: string): Record<string, string> {
  expect(doc.yum_repos).toBeUndefined();
  const text = fileContent(doc, `/etc/yum.repos.d/crinit-${id}.repo`);
  const py = 'import configparser, json, sys\np = configparser.ConfigParser(interpolation=None)\np.read_string(sys.stdin.read())\nprint(json.dumps({s: dict(p[s]) for s in p.sections()}))';
  const r = spawnSync('python3', ['-c', py], { input: text, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const sections = JSON.parse(r.stdout) as Record<string, Record<string, string>>;
  expect(Object.keys(sections)).toEqual([`crinit-${id}`]);
  return sections[`crinit-${id}`]!;
}

/**
 * An apt repository whose key is in the profile: its source and its armored key written by
 * write_files, never an `apt: sources` entry (cloud-init dearmors such a key with gpg, which
 * Debian's cloud images lack). Returns the one deb line and the key file's text.
 */
export function inlineKeySource(doc: CloudConfig, id: string): { line: string; key: string } {
  expect(doc.apt?.sources).toBeUndefined();
  const text = fileContent(doc, `/etc/apt/sources.list.d/crinit-${id}.list`);
  const debs = text.split('\n').filter((l) => l.startsWith('deb '));
  expect(debs).toHaveLength(1);
  expect(debs[0]).toContain(`[signed-by=/etc/apt/keyrings/crinit-${id}.asc]`);
  return { line: debs[0]!, key: fileContent(doc, `/etc/apt/keyrings/crinit-${id}.asc`) };
}

export function render(profile: string, set: string[] = []): { text: string; doc: CloudConfig } {
  const r = compile({ profile, set });
  if (!r.output) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return { text: r.output, doc: readCloudConfig(r.output) };
}

/** doc renders a profile and reads the cloud-config back; the test fails, with the messages, if it does not render. */
export function doc(profile: string, set: string[] = []): CloudConfig {
  const r = compile({ profile, set });
  expect(r.output, r.diagnostics.map((d) => d.message).join('; ')).toBeDefined();
  return readCloudConfig(r.output!);
}

export function fileContent(doc: CloudConfig, path: string): string {
  const f = doc.write_files.find((x) => x.path === path);
  if (!f) throw new Error(`no write_files entry for ${path}`);
  return f.encoding === 'b64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content;
}

/** The lines systemd-sysctl reads: `key = value`, comments and blanks skipped. */
export function parseSysctl(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** The lines systemd-modules-load reads. */
export function parseModules(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith(';'));
}


/**
 * The deb line of an apt repository crinit adds whose key is fetched on first boot: a list file
 * staged by write_files and placed by the add-repository step, after the key and before the
 * index refresh, and never an `apt: sources` entry (cloud-init's apt module runs apt-get update
 * at once, before the key exists).
 */
export function fetchedKeySource(doc: CloudConfig, id: string): string {
  expect(doc.apt?.sources?.[`crinit-${id}`]).toBeUndefined();
  const ids = doc.runcmd.map((l) => l[1]);
  expect(ids.indexOf(`fetch-key-${id}`)).toBeLessThan(ids.indexOf(`add-repository-${id}`));
  expect(ids.indexOf(`add-repository-${id}`)).toBeLessThan(ids.indexOf('refresh-package-index'));
  const line = doc.runcmd.find((l) => l[1] === `add-repository-${id}`)!;
  expect(line.slice(-2)).toEqual([`/var/lib/crinit/staged/etc/apt/sources.list.d/crinit-${id}.list`, `/etc/apt/sources.list.d/crinit-${id}.list`]);
  const text = fileContent(doc, `/var/lib/crinit/staged/etc/apt/sources.list.d/crinit-${id}.list`);
  const debs = text.split('\n').filter((l) => l.startsWith('deb '));
  expect(debs).toHaveLength(1);
  return debs[0]!;
}

/** The argv of the first-boot step `id` as the runner gets it (after crinit-step's `--`); the test fails without the step. */
export function stepArgv(d: CloudConfig, id: string): string[] {
  const line = d.runcmd.find((l) => l[1] === id);
  expect(line, id).toBeDefined();
  return line!.slice(line!.indexOf('--') + 1);
}
