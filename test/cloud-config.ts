/**
 * Reading crinit's cloud-config output back, as cloud-init and the services on the node do.
 */
import { parse as parseYaml } from 'yaml';
import { compile } from '../dist/index.js';

export interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
  permissions: string;
  owner: string;
}
export interface CloudConfig {
  write_files: WriteFile[];
  runcmd: string[][];
  apt?: { preserve_sources_list: boolean; sources: Record<string, { source: string; key: string }> };
  yum_repos?: Record<string, Record<string, unknown>>;
}

export function render(profile: string, set: string[] = []): { text: string; doc: CloudConfig } {
  const r = compile({ profile, set });
  if (!r.output) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return { text: r.output, doc: parseYaml(r.output, { version: '1.1' }) as CloudConfig };
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

