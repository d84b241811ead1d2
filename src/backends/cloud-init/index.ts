/**
 * @fileoverview The cloud-init backend as the registry sees it: user-data for the distros whose
 * images run cloud-init, served to NoCloud at /nocloud/<mac>/.
 */
import { parse as parseYaml } from 'yaml';
import type { Backend } from '../shared.js';
import { buildCloudConfig, emitCloudInit } from './emit.js';

export const cloudInit: Backend = {
  name: 'cloud-init',
  document: 'cloud-config',
  system: 'cloud-init',
  // cloud-init reads gzip-compressed user-data (its util.decomp_gzip).
  route: '/nocloud/',
  readsGzip: true,
  emit(plan, { checkOnly }) {
    if (checkOnly) return { text: '', document: 'cloud-config', diagnostics: buildCloudConfig(plan).diagnostics, contributors: [] };
    const r = emitCloudInit(plan);
    return { text: r.text, document: 'cloud-config', diagnostics: r.diagnostics, contributors: r.contributors };
  },
  configArgs(base, mac) {
    return [`ds=nocloud-net;s=${base}/nocloud/${mac}/`];
  },
  texts(output) {
    const out: { where: string; text: string }[] = [];
    const doc = parseYaml(output, { version: '1.1' }) as { write_files?: { path: string; content: string; encoding?: string }[] };
    for (const f of doc.write_files ?? []) {
      out.push({ where: f.path, text: f.encoding === 'b64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content });
    }
    out.push({ where: 'the output', text: output });
    return out;
  },
};
