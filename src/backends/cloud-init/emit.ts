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
import { isDeepStrictEqual } from 'node:util';
import { commentText, shellArg, shellWord } from '../../render/helpers.js';
import { packageManager } from '../../os/package-managers.js';
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type Node, type Schema } from 'yaml';
import { CRINIT_VERSION } from '../../assets.generated.js';
import type { Contributor } from '../shared.js';
import { CODES, type Diagnostic } from '../../diagnostics.js';
import type { RenderedFile, RenderedPlan } from '../../plan/types.js';
import { isSafeText } from '../../profile/formats.js';
import { versionAtLeast } from '../../profile/normalize.js';
import { SENTINEL } from '../../profile/variables.js';
import { octalMode, STEP_NAME } from '../../paths.js';
import { lowerStep, stagedPath, wrap } from './lower.js';
import { pyyamlImplicitTag, readAsPyYaml } from './pyyaml.js';

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
  const runcmd = (document.runcmd as string[] | undefined) ?? [];
  out.push({ label: `runcmd (${runcmd.length} steps)`, bytes: runcmd.reduce((n, c) => n + Buffer.byteLength(c), 0) });
  return out;
}

/**
 * commandLine writes an argv as one sh command line. A word holding a per-node variable is
 * always quoted, whatever value fills it later (a value may start with `~`).
 */
function commandLine(argv: readonly string[]): string {
  return argv.map((w) => (SENTINEL.test(w) ? shellWord(w) : shellArg(w))).join(' ');
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
  // Each entry is one command line, which cloud-init writes as it is into its runcmd script
  // (util.shellify), each word quoted for sh where it must be.
  const argvs: string[][] = [[stepBin, '--begin', plan.name]];
  for (const step of plan.steps) for (const line of lowerStep(step, plan)) argvs.push(wrap(line, stepBin));
  argvs.push([stepBin, '--finish', plan.name]);
  doc.runcmd = argvs.map(commandLine);

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
 * The style of one string: plain only where every reader takes it for the same string.
 * - Multi-line text reads best as a literal block, and so does a runcmd command line that cannot
 *   stand plain: the shell text then reads as cloud-init writes it, with no YAML escapes. `yaml`
 *   writes a line of only spaces into a literal block without an indentation indicator, and
 *   every reader then drops those spaces: such text is double-quoted, as is text with characters
 *   a block cannot carry.
 * - A scalar holding a per-node variable is never plain, whatever value fills it later (a
 *   hostname "y" or "on" must stay a string).
 * - Single quotes have no escapes, so a shell script reads as written; double quotes for the rest.
 * - A string PyYAML would read as another type (on, 0644, 1:20, 2001-12-14, ~) is quoted by
 *   PyYAML's own rules, whatever `yaml` would do; `yaml` still quotes what its YAML 1.1 types.
 */
function scalarStyle(value: string, command: boolean): Scalar.Type | undefined {
  const block = (): Scalar.Type => (/^[ \t]+$/m.test(value) || !isSafeText(value) ? 'QUOTE_DOUBLE' : 'BLOCK_LITERAL');
  if (value.includes('\n')) return block();
  if (SENTINEL.test(value)) return command ? block() : 'QUOTE_DOUBLE';
  if (!isPlainSafe(value)) return command ? block() : !value.includes("'") && isSafeText(value) ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE';
  if (pyyamlImplicitTag(value) !== undefined) return 'QUOTE_DOUBLE';
  return undefined;
}

/** yamlNode builds `yaml`'s node for a value of the document, each string with its style. */
function yamlNode(schema: Schema, value: unknown, command = false, key?: string): Node {
  if (Array.isArray(value)) {
    const seq = new YAMLSeq(schema);
    for (const item of value) seq.items.push(yamlNode(schema, item, key === 'runcmd'));
    return seq;
  }
  if (typeof value === 'object' && value !== null) {
    const map = new YAMLMap(schema);
    for (const [k, v] of Object.entries(value)) map.items.push(new Pair(yamlNode(schema, k), yamlNode(schema, v, false, k)));
    return map;
  }
  const scalar = new Scalar(value);
  if (typeof value === 'string') {
    const style = scalarStyle(value, command);
    if (style) scalar.type = style;
  }
  return scalar;
}

/**
 * serialize writes the document as YAML 1.1, the dialect cloud-init's PyYAML reads: strings that
 * YAML 1.1 would take for booleans, numbers or dates (on, yes, 0644, 1:20) come out quoted.
 */
export function serialize(document: Record<string, unknown>, plan: RenderedPlan): string {
  // Without the merge-key tag, `yaml` writes a value "<<" as a string (quoted) instead of as a
  // bare merge key, which PyYAML would refuse.
  const doc = new Document(null, {
    version: '1.1',
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:merge'),
  });
  doc.contents = yamlNode(doc.schema, document) as YAMLMap;
  doc.commentBefore = [
    ` Generated by crinit ${CRINIT_VERSION} from ${JSON.stringify(commentText(plan.name))}.`,
    ` Profile layers: ${JSON.stringify(commentText(plan.chain))}.`,
    ...(plan.annotate ? [' Re-render with crinit rather than editing this file.'] : []),
  ].join('\n');
  const body = doc.toString({ lineWidth: 0, minContentWidth: 0, directives: false, indentSeq: false });
  return `#cloud-config\n${body}`;
}

/**
 * verify reads the text back as cloud-init would and checks that it is the document built:
 * a mismatch is a crinit bug, reported as an internal error, never shipped. The reader is
 * js-yaml's with PyYAML's types (pyyaml.ts), not the `yaml` that wrote the text.
 */
export function verify(text: string, document: Record<string, unknown>): Diagnostic[] {
  const problems: string[] = [];
  if (!text.startsWith('#cloud-config\n')) problems.push('the first line is not #cloud-config');
  let back: unknown;
  try {
    back = readAsPyYaml(text);
  } catch (e) {
    problems.push(`the output does not parse: ${(e as Error).message}`);
  }
  if (back !== undefined && !isDeepStrictEqual(back, document)) problems.push('the output does not read back as the document built');
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
