/**
 * @fileoverview The cloud-init backend: a RenderedPlan becomes a #cloud-config document.
 *
 * What runs when on first boot (cloud-init's module order):
 *   init stage    write_files  - crinit-step, the kernel and runtime files, the staged copies
 *                               of files a package ships, the repositories with their pinned
 *                               keys (apt sources and keyrings, dnf .repo files)
 *   final stage   runcmd       - the plan's steps, in order, each through crinit-step
 * The document is built as an object and serialized with `yaml`; nothing is pasted as text.
 */
import { commentText } from '../../render/helpers.js';
import { packageManager } from '../../os/package-managers.js';
import { Document, isScalar, isSeq, parse, visit } from 'yaml';
import { CRINIT_VERSION } from '../../assets.generated.js';
import type { Contributor } from '../shared.js';
import { CODES, type Diagnostic } from '../../diagnostics.js';
import type { RenderedFile, RenderedPlan } from '../../plan/types.js';
import { isSafeText } from '../../profile/formats.js';
import { versionAtLeast } from '../../profile/normalize.js';
import { octalMode, STEP_NAME } from '../../paths.js';
import { lowerStep, stagedPath, wrap } from './lower.js';

/** cloud-init keys crinit emits, with the cloud-init release that introduced each form. */
export const CLOUD_INIT_FEATURES: Readonly<Record<string, { readonly since: string; readonly what: string }>> = {
  write_files: { since: '0.7', what: 'write_files' },
  apt_preserve_sources_list: { since: '0.7', what: 'apt.preserve_sources_list' },
  runcmd: { since: '0.7', what: 'runcmd in array form' },
};

/** The oldest cloud-init among the supported distros; crinit's output stays within it. */
export const CLOUD_INIT_BASELINE = '22.1';

interface WriteFile {
  path: string;
  content: string;
  encoding?: 'b64';
  owner?: string;
  permissions?: string;
}

/**
 * What write_files gives a file that names no owner or mode: root:root (the default_owner of
 * every Linux distro class) and 0644 (DEFAULT_PERMS, set with chmod whatever the umask) —
 * cloud-init's cloudinit/config/cc_write_files.py and distros/__init__.py. Left out, to save bytes.
 */
const WRITE_FILES_DEFAULT = { owner: 'root:root', permissions: '0644' } as const;

/**
 * writeFile maps a plan file to a write_files entry. Contents with characters that a YAML reader
 * would take for line breaks or refuse (NEL, U+2028, control characters) go base64-encoded, so
 * every file arrives byte for byte.
 */
function writeFile(f: RenderedFile, path = f.path): WriteFile {
  const owner = `${f.owner}:${f.group}`;
  const permissions = octalMode(f.mode);
  const common = {
    ...(owner !== WRITE_FILES_DEFAULT.owner ? { owner } : {}),
    ...(permissions !== WRITE_FILES_DEFAULT.permissions ? { permissions } : {}),
  };
  if (isSafeText(f.contents)) return { path, content: f.contents, ...common };
  return { path, content: Buffer.from(f.contents, 'utf8').toString('base64'), encoding: 'b64', ...common };
}

export interface CloudInitResult {
  readonly text: string;
  readonly document: Record<string, unknown>;
  readonly diagnostics: Diagnostic[];
  readonly contributors: Contributor[];
}

/** contributors lists what takes the space in a cloud-config document, for size-budget errors. */
export function contributors(document: Record<string, unknown>): Contributor[] {
  const out: Contributor[] = [];
  for (const f of (document.write_files as WriteFile[] | undefined) ?? []) out.push({ label: `write_files ${f.path}`, bytes: Buffer.byteLength(f.content) });
  const runcmd = (document.runcmd as string[][] | undefined) ?? [];
  out.push({ label: `runcmd (${runcmd.length} steps)`, bytes: runcmd.reduce((n, c) => n + Buffer.byteLength(c.join(' ')), 0) });
  return out;
}

/** buildCloudConfig returns the cloud-config object for a plan, and any capability errors. */
export function buildCloudConfig(plan: RenderedPlan): { document: Record<string, unknown>; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const distro = plan.target.distro;
  const used: string[] = ['write_files', 'runcmd'];
  const stepBin = `${distro.binDir}/${STEP_NAME}`;
  const floor = distro.cloudInitFloor ?? CLOUD_INIT_BASELINE;

  // Options user-data cannot carry are refused at their line:col before this (capabilities.ts).
  if (plan.links.length > 0) throw new Error('internal: the cloud-init backend got links to write');
  if (plan.downloads.length > 0) throw new Error('internal: the cloud-init backend got downloads for Ignition');
  if (plan.machinery.length > 0) throw new Error('internal: the cloud-init backend got machinery of another first-boot system');

  const writeFiles: WriteFile[] = [];
  for (const f of plan.files) {
    // Files a package ships are staged now and installed by a step after the package, so that
    // neither dpkg's conffile handling nor rpm's %config(noreplace) can keep the packaged copy.
    writeFiles.push(f.phase === 'before-packages' ? writeFile(f) : writeFile(f, stagedPath(f.path)));
  }

  const doc: Record<string, unknown> = {};
  doc.write_files = writeFiles;

  // Repositories are plan files (their sources and keys); apt keeps the image's own sources.list.
  if (plan.repos.length > 0 && packageManager(distro.packageManager).preserveSourcesList) {
    used.push('apt_preserve_sources_list');
    doc.apt = { preserve_sources_list: true };
  }

  // Each execution of runcmd (once per instance: a new instance-id runs it again) is a new run.
  const runcmd: string[][] = [[stepBin, '--begin', plan.name]];
  for (const step of plan.steps) for (const line of lowerStep(step, plan)) runcmd.push(wrap(line, stepBin));
  runcmd.push([stepBin, '--finish', plan.name]);
  doc.runcmd = runcmd;

  // Capability check: every feature used must exist in the distro's oldest cloud-init and in
  // the baseline that all supported distros share.
  for (const feature of used) {
    const f = CLOUD_INIT_FEATURES[feature]!;
    if (!versionAtLeast(floor, f.since) || !versionAtLeast(CLOUD_INIT_BASELINE, f.since)) {
      diagnostics.push({
        severity: 'error',
        code: CODES.capability,
        message: `the cloud-init backend needs ${f.what} (cloud-init ${f.since}+), but ${distro.id} may ship cloud-init ${floor}`,
        hint: 'raise distro.cloudInitFloor if every image you boot has a newer cloud-init',
        chain: plan.chain,
      });
    }
  }
  return { document: doc, diagnostics };
}

/**
 * A string is left to `yaml` to write plain (or quote by its YAML 1.1 rules) only when it is
 * made of characters that no YAML reader treats specially in block or flow context; anything
 * else is double-quoted. PyYAML is stricter than `yaml` about plain scalars (a leading `:` in a
 * flow sequence, `=` and `<<` as special types), and the two must read the same document.
 */
const PLAIN_SAFE = /^[A-Za-z0-9_/.@%+~-][A-Za-z0-9_/.@%+~=:*()' -]*$/;

function isPlainSafe(value: string): boolean {
  return PLAIN_SAFE.test(value) && value !== '=' && value !== '<<' && !/: |:$| $/.test(value);
}

/**
 * serialize writes the document as YAML 1.1, the dialect cloud-init's PyYAML reads: strings that
 * YAML 1.1 would take for booleans, numbers or dates (on, yes, 0644, 1:20) come out quoted.
 */
export function serialize(document: Record<string, unknown>, plan: RenderedPlan): string {
  // Without the merge-key tag, `yaml` writes a value "<<" as a string (quoted below) instead of
  // as a bare merge key, which PyYAML would refuse.
  const doc = new Document(document, {
    version: '1.1',
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:merge'),
  });
  doc.commentBefore = [
    ` Generated by crinit ${CRINIT_VERSION} from ${JSON.stringify(commentText(plan.name))}.`,
    ` Profile layers: ${JSON.stringify(commentText(plan.chain))}.`,
    ...(plan.annotate ? [' Re-render with crinit rather than editing this file.'] : []),
  ].join('\n');
  // Each runcmd line is one argv, written on one line; multi-line contents read best as
  // literal blocks.
  const runcmd = doc.get('runcmd');
  if (isSeq(runcmd)) for (const item of runcmd.items) if (isSeq(item)) item.flow = true;
  visit(doc, {
    Scalar(_key, node, path) {
      if (!isScalar(node) || typeof node.value !== 'string') return;
      // Block scalars cannot stand inside a flow collection (a runcmd line): there a multi-line
      // string is double-quoted, with its newlines and leading spaces escaped.
      // `yaml` also writes a line of only spaces into a literal block without an indentation
      // indicator, and every reader then drops those spaces: such text is double-quoted too.
      const inFlow = path.some((p) => isSeq(p) && p.flow === true);
      if (node.value.includes('\n') && (inFlow || /^[ \t]+$/m.test(node.value))) node.type = 'QUOTE_DOUBLE';
      else if (node.value.includes('\n')) node.type = 'BLOCK_LITERAL';
      // A scalar holding a per-node variable is always double-quoted, whatever value fills it
      // later (a hostname "y" or "on" must stay a string).
      else if (/crinittfvar\d+x/.test(node.value)) node.type = 'QUOTE_DOUBLE';
      // Single quotes have no escapes, so a shell script reads as written; double quotes for the rest.
      else if (!isPlainSafe(node.value)) node.type = !node.value.includes("'") && isSafeText(node.value) ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE';
    },
  });
  const body = doc.toString({ lineWidth: 0, minContentWidth: 0, directives: false, indentSeq: false });
  return `#cloud-config\n${body}`;
}

/**
 * verify reads the text back as cloud-init would and checks that it is the document built:
 * a mismatch is a crinit bug, reported as an internal error, never shipped.
 */
export function verify(text: string, document: Record<string, unknown>): Diagnostic[] {
  const problems: string[] = [];
  if (!text.startsWith('#cloud-config\n')) problems.push('the first line is not #cloud-config');
  let back: unknown;
  try {
    back = parse(text, { version: '1.1' });
  } catch (e) {
    problems.push(`the output does not parse: ${(e as Error).message}`);
  }
  if (back !== undefined && JSON.stringify(back) !== JSON.stringify(document)) problems.push('the output does not read back as the document built');
  const paths = (document.write_files as WriteFile[]).map((f) => f.path);
  const dup = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dup) problems.push(`write_files writes ${dup} twice`);
  return problems.map((p) => ({
    severity: 'error' as const,
    code: CODES.internal,
    message: `generated cloud-config is invalid: ${p}`,
    hint: 'this is a crinit bug; please report it with the profile',
  }));
}

export function emitCloudInit(plan: RenderedPlan): CloudInitResult {
  const { document, diagnostics } = buildCloudConfig(plan);
  if (diagnostics.some((d) => d.severity === 'error')) return { text: '', document, diagnostics, contributors: [] };
  const text = serialize(document, plan);
  return { text, document, diagnostics: [...diagnostics, ...verify(text, document)], contributors: contributors(document) };
}
