/**
 * @fileoverview The Ignition backend as the registry sees it: Ignition JSON (or the equivalent
 * Butane) for Fedora CoreOS and Flatcar, with the profile's snippets merged in, served at
 * /ignition?mac=.
 */
import { posix } from 'node:path';
import { CODES } from '../../diagnostics.js';
import type { Backend, Emitted } from '../shared.js';
import { toButane } from './butane.js';
import { emitIgnition, type Snippet } from './emit.js';
import { decodeDataUrl } from './model.js';

/**
 * Each OS's spelling of the kernel arguments that fetch a config and mark the first boot, by
 * os-release ID (Flatcar's flatcar.*, Fedora CoreOS' ignition.*), and its Butane variant.
 */
const OS: Readonly<Record<string, { readonly url: string; readonly firstBoot: readonly string[]; readonly butane: 'fcos' | 'flatcar' }>> = {
  flatcar: { url: 'flatcar.config.url', firstBoot: ['flatcar.first_boot=yes'], butane: 'flatcar' },
  fedora: { url: 'ignition.config.url', firstBoot: ['ignition.firstboot', 'ignition.platform.id=metal'], butane: 'fcos' },
};

export const ignition: Backend = {
  name: 'ignition',
  document: 'ignition',
  system: 'Ignition',
  // Ignition does not read a gzip-compressed config from user-data.
  route: '/ignition',
  readsGzip: false,
  emit(plan, { report, readFile, document, checkOnly }): Emitted {
    const diagnostics = [];
    const snippets: Snippet[] = [];
    for (const s of plan.ignitionSnippets) {
      // Relative to the profile file that names it.
      const path = posix.isAbsolute(s.path) || s.origin.file.startsWith('builtin:') ? s.path : posix.join(posix.dirname(s.origin.file), s.path);
      const text = readFile?.(path);
      if (text === undefined) {
        diagnostics.push(report('error', CODES.fileNotFound, s.origin, `cannot read the Ignition snippet ${path}`, 'give a path to a JSON Ignition config, relative to the profile file'));
        continue;
      }
      snippets.push({ path: s.path, text, origin: s.origin });
    }
    if (diagnostics.length > 0) return { text: '', document: 'ignition', diagnostics, contributors: [] };
    const r = emitIgnition(plan, snippets, report, checkOnly);
    if (checkOnly) return { text: '', document: 'ignition', diagnostics: r.diagnostics, contributors: [] };
    if (document !== 'butane' || !r.config || r.diagnostics.some((d) => d.severity === 'error')) return { text: r.text, document: 'ignition', diagnostics: r.diagnostics, contributors: r.contributors };
    const b = toButane(r.config, OS[plan.target.distro.osRelease.id]?.butane ?? 'fcos', plan.name, plan.chain);
    if ('error' in b) {
      const origin = plan.ignitionVersion?.origin ?? { layer: 'crinit', file: '(generated)', pointer: '/ignition/version' };
      return { text: '', document: 'butane', diagnostics: [...r.diagnostics, report('error', CODES.ignitionVersion, origin, b.error, b.hint)], contributors: [] };
    }
    return { text: b.text, document: 'butane', diagnostics: r.diagnostics, contributors: r.contributors };
  },
  configArgs(base, mac, os, given) {
    const has = (name: string) => new RegExp(`(^|\\s)${name.replace(/\./g, '\\.')}(=|\\s|$)`).test(given);
    const spelling = OS[os] ?? OS.fedora!;
    return [`${spelling.url}=${base}/ignition?mac=${mac}`, ...spelling.firstBoot.filter((a) => !has(a.replace(/=.*$/, '')))];
  },
  texts(output, document) {
    const out: { where: string; text: string }[] = [];
    // Butane's inline text is in the document itself.
    if (document === 'ignition') {
      const doc = JSON.parse(output) as { storage?: { files?: { path: string; contents?: { source?: string; compression?: string } }[] } };
      for (const f of doc.storage?.files ?? []) {
        if (f.contents?.source?.startsWith('data:')) out.push({ where: f.path, text: decodeDataUrl(f.contents) });
      }
    }
    out.push({ where: 'the output', text: output });
    return out;
  },
};
