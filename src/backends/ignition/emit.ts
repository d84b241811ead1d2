/**
 * @fileoverview The Ignition backend: a RenderedPlan becomes an Ignition 3.x config for Fedora
 * CoreOS or Flatcar, built as a typed object and serialized with JSON.stringify.
 *
 * What happens when on first boot:
 *   initramfs   Ignition writes the files (modules-load.d, sysctl.d, the runtime's config,
 *               crictl and kubelet fragments, crinit's scripts), directories, links (Flatcar
 *               extensions switched off), units, drop-ins, masks and the enablement preset
 *   boot        systemd-modules-load and systemd-sysctl apply the kernel settings; the runtime
 *               starts on crinit's config
 *   multi-user  crinit-firstboot.service runs the remaining steps once through crinit-step
 *
 * Serialization is deterministic: fields in a fixed order, files, directories and links sorted
 * by path, units by name, contents in data: URLs chosen by length alone.
 */
import { packageManager } from '../../os/package-managers.js';
import { crypto } from '../../builtins.js';
import { CODES, type Diagnostic, type Origin } from '../../diagnostics.js';
import type { Contributor } from '../shared.js';
import { RESUME_MARKER, STEP_NAME, UNIT_DIR } from '../../paths.js';
import type { RenderedFile, RenderedPlan } from '../../plan/types.js';
import { renderTemplate } from '../../render/handlebars.js';
import type { Line, Reporter } from '../shared.js';
import { lowerStepForIgnition, type Lowered } from './lower.js';
import { mergeIgnition } from './merge.js';
import {
  checkSpec,
  dataUrl,
  decodeDataUrl,
  DEFAULT_SPEC,
  SPEC_VERSIONS,
  specAtLeast,
  type IgnConfig,
  type IgnResource,
  type IgnDirectory,
  type IgnFile,
  type IgnLink,
  type IgnUnit,
  type SpecVersion,
} from './model.js';

/** A user snippet, already read: its path as written in the profile, where that was, and its text. */
export interface Snippet {
  readonly path: string;
  readonly text: string;
  readonly origin: Origin;
}

export type { Reporter };

/** A reporter for callers without source positions: names the file only. */
export const plainReporter =
  (chain: string): Reporter =>
  (severity, code, origin, message, hint) => ({
    severity,
    code,
    message,
    hint,
    ...(origin.layer !== 'crinit' ? { file: origin.file } : {}),
    chain,
  });

export interface IgnitionResult {
  readonly text: string;
  readonly config?: IgnConfig;
  readonly version: SpecVersion;
  readonly diagnostics: Diagnostic[];
  readonly contributors: Contributor[];
}

function owner(name: string): { name: string } | undefined {
  return name === 'root' ? undefined : { name };
}

function ignFile(f: RenderedFile, encode: (contents: string) => IgnResource): IgnFile {
  const user = owner(f.owner);
  const group = owner(f.group);
  return {
    path: f.path,
    // Every file is replaced, as cloud-init's write_files does: Ignition fails the whole boot
    // ("a file exists there already") for a file the image ships unless told to overwrite it
    // (Fedora CoreOS ships /etc/containerd/config.toml, a Debian containerd package does too),
    // and crinit owns every path it writes.
    overwrite: true,
    mode: f.mode,
    ...(user ? { user } : {}),
    ...(group ? { group } : {}),
    contents: encode(f.contents),
  };
}

/**
 * With checkOnly (crinit list), contents are not encoded: no check reads a data: URL's text, and
 * encoding (percent-encoding, base64, gzip at level 9) is most of an Ignition check's time.
 */
const unencoded = (): IgnResource => ({ source: 'data:,', compression: '' });

/** buildIgnition returns crinit's own config for a plan (before snippets), and capability errors. */
export function buildIgnition(plan: RenderedPlan, version: SpecVersion, report: Reporter, checkOnly = false): { config: IgnConfig; diagnostics: Diagnostic[] } {
  const encode = checkOnly ? unencoded : dataUrl;
  const diagnostics: Diagnostic[] = [];
  const distro = plan.target.distro;
  const stepBin = `${distro.binDir}/${STEP_NAME}`;
  // The runner's script and unit are plan nodes (machinery): the plan keys their paths.
  const runner = (role: string): { path: string; unit?: string } => {
    const m = plan.machinery.find((x) => x.role === role);
    if (!m) throw new Error(`internal: the plan has no ${role} for the Ignition backend`);
    return m;
  };
  const firstbootScript = runner('runner-script').path;
  const firstbootUnit = runner('runner-unit').unit!;

  const lines: Line[] = [];
  const downloads: Extract<Lowered, { kind: 'download' }>[] = [];
  const binaries: Extract<Lowered, { kind: 'binary' }>[] = [];
  for (const step of plan.steps) {
    const l = lowerStepForIgnition(step, plan);
    if (l.kind === 'firstboot') lines.push(...l.lines);
    else if (l.kind === 'download') downloads.push(l);
    else if (l.kind === 'binary') {
      binaries.push(l);
      lines.push(l.line);
    }
    else if (l.kind === 'refused') {
      diagnostics.push(report('error', CODES.capability, step.origin, l.reason, `use a runtime built into ${distro.name} (runtime.source: builtin), or a cloud-init distro`));
    }
  }

  const files: IgnFile[] = [];
  const units = new Map<string, IgnUnit>();
  const unit = (name: string): IgnUnit => {
    let u = units.get(name);
    if (!u) units.set(name, (u = { name }));
    return u;
  };
  for (const f of plan.files) {
    if (f.dropin) {
      const u = unit(f.dropin.unit);
      (u.dropins ??= []).push({ name: f.dropin.name, contents: f.contents });
    } else {
      files.push(ignFile(f, encode));
    }
  }
  // Downloads Ignition makes itself, each refused unless its sum (verification.hash) matches:
  // sha256 for archives and images, sha512 for released files.
  const remote = (path: string, url: string, hash: string, mode: number): IgnFile => ({ path, overwrite: true, mode, contents: { source: url, verification: { hash } } });
  for (const d of plan.downloads) files.push(remote(d.path, d.url, `sha256-${d.sha256}`, d.mode));
  for (const d of downloads) {
    files.push(remote(d.path, d.url, `sha256-${d.sha256}`, 0o644));
    units.set(d.unit.name, { name: d.unit.name, enabled: true, contents: d.unit.contents });
  }
  for (const b of binaries) files.push(remote(b.path, b.url, `sha512-${b.sha512}`, 0o755));
  // A run is one config's steps: its id changes with them, so a machine re-provisioned with
  // another config runs again, while one whose run succeeded stays done.
  const runId = `ignition-${crypto().createHash('sha256').update(JSON.stringify({ profile: plan.name, lines })).digest('hex').slice(0, 16)}`;
  const context = { profile: plan.name, stepBin, runId, resumeMarker: RESUME_MARKER };
  files.push(
    { path: firstbootScript, overwrite: true, mode: 0o755, contents: encode(renderTemplate('crinit-firstboot.sh.hbs', { ...context, lines }, plan.annotate)) },
  );
  const runtimeService = plan.services[0]?.unit ?? '';
  units.set(firstbootUnit, {
    name: firstbootUnit,
    enabled: true,
    contents: renderTemplate('crinit-firstboot.service.hbs', {
      runtimeService,
      script: firstbootScript,
      // Layering must finish before zincati stages an OS update (rpm-ostree runs one transaction at a time).
      beforeZincati: packageManager(distro.packageManager).layers && plan.steps.some((x) => x.action.kind === 'install-packages'),
    }, plan.annotate),
  });
  for (const s of plan.services) if (s.enable) unit(s.unit).enabled = true;
  for (const m of plan.masks) unit(m.unit).mask = true;

  const directories: IgnDirectory[] = plan.directories.map((d) => ({ path: d.path, mode: d.mode }));
  directories.push({ path: runner('state-directory').path, mode: 0o755 });
  // overwrite: the image may already have a link (or file) at an extension's path.
  const links: IgnLink[] = plan.links.map((l) => ({ path: l.path, target: l.target, hard: false, overwrite: true }));

  const byPath = <T extends { path: string }>(a: T, b: T): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  // Ignition fetches remote contents (snippets, merged configs) itself, before anything else runs.
  const proxy = plan.proxy
    ? { ...(plan.proxy.http ? { httpProxy: plan.proxy.http } : {}), ...(plan.proxy.https ? { httpsProxy: plan.proxy.https } : {}), noProxy: [...plan.proxy.noProxy] }
    : undefined;
  const config: IgnConfig = {
    ignition: { version, ...(proxy ? { proxy } : {}) },
    storage: {
      files: files.sort(byPath),
      directories: directories.sort(byPath),
      ...(links.length > 0 ? { links: links.sort(byPath) } : {}),
    },
    systemd: {
      units: [...units.values()]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((u) => ({ ...u, ...(u.dropins ? { dropins: [...u.dropins].sort((a, b) => (a.name < b.name ? -1 : 1)) } : {}) })),
    },
  };
  return { config, diagnostics };
}

/** parseSnippet reads one snippet: JSON, an Ignition 3.x config no newer than the output's version. */
function parseSnippet(s: Snippet, version: SpecVersion, report: Reporter): { config?: Record<string, unknown>; diagnostics: Diagnostic[] } {
  const fail = (message: string, hint: string): { diagnostics: Diagnostic[] } => ({
    diagnostics: [report('error', CODES.snippet, s.origin, `Ignition snippet ${s.path}: ${message}`, hint)],
  });
  let data: unknown;
  try {
    data = JSON.parse(s.text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`, 'give an Ignition config in JSON; translate Butane with `butane` first');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return fail('not a JSON object', 'give an Ignition config object');
  const v = (data as { ignition?: { version?: unknown } }).ignition?.version;
  if (typeof v !== 'string' || !SPEC_VERSIONS.includes(v as SpecVersion)) {
    return fail(`ignition.version is ${JSON.stringify(v)}, not a spec version from 3.0.0 to 3.5.0`, 'set ignition.version in the snippet');
  }
  if (!specAtLeast(version, v as SpecVersion)) {
    return fail(`its spec ${v} is newer than the output's ${version}`, `set ignition.version: "${v}" in the profile, or write the snippet for ${version}`);
  }
  const problems = checkSpec(data, version);
  if (problems.length > 0) {
    return {
      diagnostics: problems.map((p) =>
        report(
          'error',
          CODES.snippet,
          s.origin,
          `Ignition snippet ${s.path}: ${p.message}`,
          p.since ? `set ignition.version: "${p.since}" (or later) in the profile, or drop the field` : 'fix the field name or value; see the Ignition spec',
        ),
      ),
    };
  }
  // Every data: URL must decode, as Ignition's parser (RFC 2397) will: a bad one would pass here
  // and fail the machine's first boot.
  const bad = badDataUrl(data, '');
  if (bad) return fail(`${bad.path} holds a data: URL that does not decode (${bad.why})`, 'write data:,TEXT with %-escapes (RFC 2397), or data:;base64,BASE64 in the standard alphabet');
  return { config: data as Record<string, unknown>, diagnostics: [] };
}

/** The first resource in a snippet whose data: URL does not decode, with its JSON path. */
function badDataUrl(value: unknown, path: string): { path: string; why: string } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.source === 'string' && o.source.startsWith('data:')) {
    const m = /^data:([^,]*),(.*)$/s.exec(o.source);
    if (!m) return { path: `${path}.source`, why: 'no comma after the media type' };
    const base64 = m[1]!.endsWith(';base64');
    if (base64 && !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(m[2]!)) return { path: `${path}.source`, why: 'not standard base64' };
    try {
      decodeDataUrl(o as { source: string; compression?: string });
    } catch (e) {
      return { path: `${path}.source`, why: e instanceof URIError ? 'a bad %-escape' : (e as Error).message.split('\n')[0]! };
    }
  }
  for (const [k, v] of Object.entries(o)) {
    const found = badDataUrl(v, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
    if (found) return found;
  }
  return undefined;
}

/** The path Ignition reserves for a unit or drop-in that systemd.units defines. */
function unitPaths(config: IgnConfig): Set<string> {
  const out = new Set<string>();
  for (const u of config.systemd?.units ?? []) {
    if (u.contents !== undefined || u.mask) out.add(`${UNIT_DIR}/${u.name}`);
    for (const d of u.dropins ?? []) out.add(`${UNIT_DIR}/${u.name}.d/${d.name}`);
  }
  return out;
}

/**
 * verify reads the text back and checks what Ignition's validator checks and what the plan
 * says: one entry per path and per unit, no file on a unit's path, every generated file's
 * contents decoding to exactly the rendered text. A failure is a crinit bug or a snippet clash.
 */
export function verify(text: string, plan: RenderedPlan, snippetPaths: ReadonlySet<string>, snippetFiles: ReadonlySet<string> = new Set(), snippetUnits: ReadonlySet<string> = new Set()): Diagnostic[] {
  const problems: string[] = [];
  let back: IgnConfig | undefined;
  try {
    back = JSON.parse(text) as IgnConfig;
  } catch (e) {
    problems.push(`the output does not parse: ${(e as Error).message}`);
  }
  if (back) {
    const nodes = [...(back.storage?.files ?? []), ...(back.storage?.directories ?? []), ...(back.storage?.links ?? [])].map((n) => n.path);
    const dup = nodes.find((p, i) => nodes.indexOf(p) !== i);
    if (dup) problems.push(`storage defines ${dup} twice`);
    const names = (back.systemd?.units ?? []).map((u) => u.name);
    const dupUnit = names.find((n, i) => names.indexOf(n) !== i);
    if (dupUnit) problems.push(`systemd.units defines ${dupUnit} twice`);
    const reserved = unitPaths(back);
    const clash = nodes.find((p) => reserved.has(p));
    if (clash) problems.push(`${clash} is both a storage entry and a systemd unit or drop-in`);
    // Every path written is a plan node: a file, a download, or the machinery the plan keys.
    const released = plan.steps.flatMap((s) => (s.action.kind === 'install-binary' ? [s.action.dest] : []));
    const planned = new Set([...plan.files.map((f) => f.path), ...plan.downloads.map((d) => d.path), ...plan.machinery.map((m) => m.path), ...released, ...snippetFiles]);
    const unplanned = (back.storage?.files ?? []).find((f) => !planned.has(f.path));
    if (unplanned) problems.push(`${unplanned.path} is written, but it is not in the plan`);
    const plannedUnits = new Set([...plan.machinery.filter((m) => m.unit).map((m) => m.unit!), ...plan.services.map((x) => x.unit), ...plan.masks.map((x) => x.unit), ...plan.files.filter((f) => f.dropin).map((f) => f.dropin!.unit)]);
    const unit = (back.systemd?.units ?? []).find((u) => u.contents !== undefined && !plannedUnits.has(u.name) && !snippetUnits.has(u.name));
    if (unit) problems.push(`the unit ${unit.name} is written, but it is not in the plan`);
    for (const f of plan.files) {
      if (f.dropin || snippetPaths.has(f.path)) continue;
      const out = back.storage?.files?.find((x) => x.path === f.path);
      if (!out?.contents || decodeDataUrl(out.contents) !== f.contents) problems.push(`${f.path} does not decode to its rendered contents`);
    }
  }
  return problems.map((p) => ({
    severity: 'error' as const,
    code: CODES.internal,
    message: `generated Ignition config is invalid: ${p}`,
    hint: 'if an Ignition snippet defines this path or unit, change the snippet; otherwise this is a crinit bug, please report it',
  }));
}

/** contributors lists what takes the space in the config, for size-budget errors. */
function contributors(config: IgnConfig): Contributor[] {
  const out: Contributor[] = [];
  for (const f of config.storage?.files ?? []) out.push({ label: `storage.files ${f.path}`, bytes: Buffer.byteLength(f.contents?.source ?? '') });
  for (const u of config.systemd?.units ?? []) {
    const bytes = Buffer.byteLength(u.contents ?? '') + (u.dropins ?? []).reduce((n, d) => n + Buffer.byteLength(d.contents ?? ''), 0);
    if (bytes > 0) out.push({ label: `systemd.units ${u.name}`, bytes });
  }
  return out;
}

export function emitIgnition(plan: RenderedPlan, snippets: readonly Snippet[] = [], report: Reporter = plainReporter(plan.chain), checkOnly = false): IgnitionResult {
  const version = (plan.ignitionVersion?.value ?? DEFAULT_SPEC) as SpecVersion;
  const versionOrigin: Origin = plan.ignitionVersion?.origin ?? { layer: 'crinit', file: '(generated)', pointer: '/ignition/version' };
  const { config: own, diagnostics } = buildIgnition(plan, version, report, checkOnly);

  // crinit's own config must fit the chosen version too (e.g. sha256 hashes need 3.1.0).
  for (const p of checkSpec(own, version)) {
    diagnostics.push(
      report(
        'error',
        CODES.ignitionVersion,
        versionOrigin,
        `${p.message}, but this output is Ignition spec ${version}`,
        p.since ? `set ignition.version: "${p.since}" or later` : 'this is a crinit bug; please report it',
      ),
    );
  }

  let config = own as unknown as Record<string, unknown>;
  const snippetPaths = new Set<string>();
  // What the snippets write besides crinit's plan: theirs, not crinit's to account for.
  const snippetFiles = new Set<string>();
  const snippetUnits = new Set<string>();
  for (const s of snippets) {
    const parsed = parseSnippet(s, version, report);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.config) continue;
    const added = parsed.config as { storage?: { files?: { path?: unknown }[] }; systemd?: { units?: { name?: unknown }[] } };
    for (const f of added.storage?.files ?? []) if (typeof f.path === 'string') snippetFiles.add(f.path);
    for (const u of added.systemd?.units ?? []) if (typeof u.name === 'string') snippetUnits.add(u.name);
    const { config: merged, overrides } = mergeIgnition(config as never, parsed.config as never);
    config = { ...merged, ignition: { ...(merged.ignition as object), version } };
    for (const o of overrides) {
      const mine = o.what.startsWith('storage') ? plan.files.find((f) => f.path === o.key) : undefined;
      if (o.what.startsWith('storage')) snippetPaths.add(o.key);
      diagnostics.push(
        report(
          'warning',
          CODES.snippetOverride,
          s.origin,
          `Ignition snippet ${s.path} overrides crinit's ${o.what} entry ${o.key}${mine ? ` (from ${mine.origin.file}${mine.origin.pointer ? ` at ${mine.origin.pointer}` : ''})` : ''}`,
          'the snippet wins; remove the entry from the snippet to keep what the profile generates',
        ),
      );
    }
  }
  // Checked only (crinit list): every check above has run; nothing is written or read back.
  if (checkOnly || diagnostics.some((d) => d.severity === 'error')) return { text: '', version, diagnostics, contributors: [] };
  const text = `${JSON.stringify(config)}\n`;
  const final = config as unknown as IgnConfig;
  return { text, config: final, version, diagnostics: [...diagnostics, ...verify(text, plan, snippetPaths, snippetFiles, snippetUnits)], contributors: contributors(final) };
}
