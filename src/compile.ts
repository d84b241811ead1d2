/**
 * @fileoverview The pipeline: load > validate > resolve > normalize (rules) > plan > render >
 * emit > verify. Each phase returns diagnostics; the pipeline stops after a phase that produced
 * an error. compile() does no I/O: built-in profiles and templates are embedded, and files that
 * a user profile extends are read through the caller's readFile.
 */
import { CODES, hasErrors, type Diagnostic } from './diagnostics.js';
import { posix } from 'node:path';
import { BACKENDS } from './backends/registry.js';
import type { DocumentName, Reporter } from './backends/shared.js';
import { FORMATS, formatOfDocument } from './outputs/formats.js';
import type { Contributor } from './delivery.js';
import { templateFiller, toTemplate } from './tftpl.js';
import { isSimpleValue, SENTINEL, type VariableOptions } from './profile/variables.js';
import { buildPlan } from './plan/build.js';
import { checkCollisions } from './plan/collisions.js';
import { checkOffline } from './offline.js';
import type { NodePlan, RenderedPlan } from './plan/types.js';
import { mergeLayers, replacementDiagnostics } from './profile/merge.js';
import { applyRules, LOCAL_RULES, ruleContext, runRules } from './rules/index.js';
import { userFiles } from './plan/contributors/user.js';
import type { Locator } from './profile/normalize.js';
import type { SourceLayer } from './profile/source.js';
import { resolveProfile, type ProfileEntry } from './profile/resolve.js';
import type { Profile, WrittenProfile } from './profile/types.js';
import { renderPlan } from './render/render.js';
import { commentText } from './profile/formats.js';
import { closest } from './profile/schema.js';

export type { BackendName as Backend } from './profile/types.js';
import type { BackendName } from './profile/types.js';
export type OutputFormat = DocumentName;

export interface CompileOptions {
  /** A built-in DISTRO/RUNTIME name, or a profile file's path and text. */
  readonly profile: string | { readonly path: string; readonly text: string };
  /** --set overrides, `key.path=value`, applied after every file. */
  readonly set?: readonly string[];
  /** Reads files that a profile extends (paths as resolved from the extending file). */
  readonly readFile?: (path: string) => string | undefined;
  /** Ignition distros: write the equivalent Butane config instead of Ignition JSON. */
  readonly butane?: boolean;
  /** The document to write when not the backend's own (--format butane: butane). */
  readonly document?: DocumentName;
  /**
   * Run every check, the backend's included, but write nothing: no output, and `checked` is true
   * when nothing was refused (what `crinit list` asks of each combination).
   */
  readonly checkOnly?: boolean;
  /**
   * Write each generated file with its notes: what it is for and why it says what it says. By
   * default a file carries a one-line header only, so that user-data stays small.
   */
  readonly annotate?: boolean;
  /** Values for the profile's per-node variables (`${name}` placeholders). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Refuse the output if it would fetch anything from a public host (after mirrors:). */
  readonly offline?: boolean;
  /** Render a Terraform templatefile() template: these names (and the declared ones) stay live. */
  readonly terraformTemplate?: { readonly variables?: readonly string[] };
}

export interface CompileResult {
  /** The rendered output; undefined when an error was found. */
  readonly output?: string;
  readonly diagnostics: readonly Diagnostic[];
  /** The extends chain, e.g. "base > ubuntu-24.04 > containerd > node.yaml". */
  readonly chain: string;
  readonly profile?: Profile;
  readonly plan?: RenderedPlan;
  /** What the output is: cloud-config user-data, Ignition JSON, or Butane YAML. */
  readonly format?: OutputFormat;
  /** The backend of the profile's distro. */
  readonly backend?: BackendName;
  /** What takes the space in the output, largest parts first when sorted; for size budgets. */
  readonly contributors?: readonly Contributor[];
  /** With checkOnly: every check passed. */
  readonly checked?: boolean;
}

interface Run extends CompileResult {
  readonly sentinels: ReadonlyMap<string, string>;
}

/**
 * The profile's name as outputs show it: a built-in name, or the file's base name, made safe for
 * a comment line. It does not depend on how the path was written (relative, absolute, ./).
 */
function profileName(profile: CompileOptions['profile']): string {
  return commentText(typeof profile === 'string' ? profile : posix.basename(profile.path));
}

/** The profile the options name, resolved with these per-node variables. */
function resolve(options: CompileOptions, variables: VariableOptions): ReturnType<typeof resolveProfile> {
  const entry: ProfileEntry = typeof options.profile === 'string' ? { builtin: options.profile } : options.profile;
  return resolveProfile(entry, {
    ...(options.readFile ? { readFile: options.readFile } : {}),
    ...(options.set ? { set: options.set } : {}),
    variables,
  });
}

/** The checking half of a pass: resolved, merged, ruled and planned, with what each stage made. */
interface Checked {
  readonly diagnostics: Diagnostic[];
  readonly chain: string;
  readonly sentinels: ReadonlyMap<string, string>;
  readonly entry?: SourceLayer;
  readonly data?: WrittenProfile;
  readonly profile?: Profile;
  readonly locator?: Locator;
  readonly plan?: NodePlan;
}

/**
 * check runs every check on the profile's values (resolve, schema, merge, rules, plan,
 * collisions) and stops at the first stage with an error.
 */
function check(options: CompileOptions, variables: VariableOptions): Checked {
  const resolved = resolve(options, variables);
  const chain = resolved.chain;
  const sentinels = resolved.sentinels;
  if (hasErrors(resolved.diagnostics)) return { diagnostics: resolved.diagnostics, chain, sentinels };

  const { data, origins, replaced } = mergeLayers(resolved.layers);
  const entryLayer = [...resolved.layers].reverse().find((l) => !l.fixedPosition);
  const norm = applyRules(data as WrittenProfile, origins, chain, entryLayer);
  const diagnostics = [...resolved.diagnostics, ...replacementDiagnostics(replaced, chain), ...norm.diagnostics];
  const seen = { chain, sentinels, data: data as WrittenProfile, locator: norm.locator, ...(entryLayer ? { entry: entryLayer } : {}) };
  if (!norm.profile || hasErrors(diagnostics)) return { diagnostics, ...seen };

  const plan: NodePlan = buildPlan(norm.profile, profileName(options.profile), norm.locator);
  diagnostics.push(...checkCollisions(plan, norm.locator));
  return { diagnostics, ...seen, profile: norm.profile, plan };
}

/**
 * run is one pass of the pipeline with the given per-node variable handling. With checkOnly it
 * stops once every check on the profile's values has run (rules, plan, collisions), before
 * rendering: what a fleet runs per node.
 */
function run(options: CompileOptions, variables: VariableOptions, checkOnly = false): Run {
  const checked = check(options, variables);
  const { diagnostics, chain, sentinels, profile, plan } = checked;
  if (!profile || !plan || hasErrors(diagnostics) || checkOnly) return { diagnostics, chain, sentinels, ...(profile ? { profile } : {}) };
  const norm = { profile, locator: checked.locator! };
  const rendered = renderPlan(plan, options.annotate === true);
  const backend = BACKENDS[norm.profile.distro.backend];
  const document = options.document ?? (options.butane ? FORMATS.butane.document : undefined);
  const wanted = document ? formatOfDocument(document) : undefined;
  if (wanted && !wanted.backends.includes(backend.name)) {
    diagnostics.push({ severity: 'error', code: CODES.capability, message: `--format ${wanted.name} writes ${wanted.summary}, a source format for ${wanted.backends.map((b) => BACKENDS[b].system).join(', ')}, and ${norm.profile.distro.id} is provisioned by ${backend.system}`, hint: `drop --format ${wanted.name}, or target a distro that ${wanted.backends.map((b) => BACKENDS[b].system).join(', ')} provisions (see \`crinit list\`)`, chain });
    return { diagnostics, chain, sentinels };
  }
  const report: Reporter = (severity, code, origin, message, hint) => norm.locator.diag(severity, code, origin.pointer, message, hint);
  const emitted = backend.emit(rendered, { report, ...(options.readFile ? { readFile: options.readFile } : {}), ...(document && document !== backend.document ? { document } : {}), ...(options.checkOnly ? { checkOnly: true } : {}) });
  diagnostics.push(...emitted.diagnostics);
  if (hasErrors(diagnostics)) return { diagnostics, chain, profile: norm.profile, plan: rendered, sentinels };
  if (options.checkOnly) return { diagnostics, chain, profile: norm.profile, plan: rendered, backend: backend.name, checked: true, sentinels };
  const text = emitted.text;
  const format = emitted.document;
  if (options.offline) {
    // A Terraform template's variables are shown as the user wrote them, not as crinit's words.
    const shown = (x: string): string => x.replace(new RegExp(SENTINEL.source, 'g'), (w) => (sentinels.has(w) ? `\${${sentinels.get(w)}}` : w));
    const offline = checkOffline(rendered, norm.profile, backend.texts(text, format), shown);
    if (offline.length > 0) return { diagnostics: [...diagnostics, ...offline], chain, profile: norm.profile, plan: rendered, sentinels };
  }
  return { output: text, format, backend: backend.name, diagnostics, chain, profile: norm.profile, plan: rendered, contributors: emitted.contributors, sentinels };
}

/**
 * A profile rendered once with sentinels for the named variables, to be filled per node: what
 * fleets use so that a profile is compiled once, however many nodes share it.
 */
export interface PreparedTemplate {
  readonly result: CompileResult;
  /** Fills the template with one node's values; undefined if a variable was encoded away. */
  readonly fill?: (values: Readonly<Record<string, string>>) => string | undefined;
  /** The variables the output uses: each node needs a value for every one. */
  readonly used: readonly string[];
}

export function prepareTemplate(options: CompileOptions, names: readonly string[]): PreparedTemplate {
  try {
    const r = run(options, { templateNames: names });
    if (r.output === undefined) return { result: strip(r), used: [] };
    const output = r.output;
    const planJson = JSON.stringify(r.plan);
    const used = [...r.sentinels].filter(([word]) => planJson.includes(word)).map(([, name]) => name).sort();
    const filler = templateFiller(output, r.sentinels, planJson);
    return { result: strip(r), fill: (values) => filler?.(values), used };
  } catch (e) {
    return { used: [], result: { chain: '', diagnostics: [internalError(e)] } };
  }
}

/**
 * checkValues runs every check a profile's own values pass on the profile with these per-node
 * values put in, and returns the diagnostics; nothing is rendered. It is the same pass that
 * `render --var` runs before rendering, so a fleet refuses a node's value exactly where --var
 * would refuse it.
 */
export function checkValues(options: CompileOptions, values: Readonly<Record<string, string>>): readonly Diagnostic[] {
  try {
    return run(options, { values }, true).diagnostics;
  } catch (e) {
    return [internalError(e)];
  }
}

/** Whether a value holds one of the sentinel words anywhere. */
function holdsSentinel(value: unknown, words: readonly string[]): boolean {
  if (typeof value === 'string') return words.some((w) => value.includes(w));
  if (Array.isArray(value)) return value.some((v) => holdsSentinel(v, words));
  if (value && typeof value === 'object') return Object.values(value).some((v) => holdsSentinel(v, words));
  return false;
}

/**
 * localCheck prepares the per-node check for a profile whose per-node values all stand under
 * keys of LOCAL_RULES (a node's own files, say): the profile is checked once with sentinel words,
 * and each node then re-runs only what its values can change. Resolving (each layer's schema
 * verdict), the keyed merge, the rules of those keys and the collision check of their plan nodes
 * run with the node's values; every other rule and plan node reads none of them, so their verdict
 * is the one the sentinel pass gave. Undefined when the full check is needed.
 */
function localCheck(options: CompileOptions, names: readonly string[]): ((values: Readonly<Record<string, string>>) => readonly Diagnostic[]) | undefined {
  const base = check(options, { templateNames: names });
  if (!base.data || !base.plan || hasErrors(base.diagnostics)) return undefined;
  const words = [...base.sentinels.keys()];
  const varying = Object.keys(base.data).filter((k) => holdsSentinel((base.data as Record<string, unknown>)[k], words));
  if (!varying.every((k) => LOCAL_RULES[k] !== undefined)) return undefined;
  const rules = varying.flatMap((k) => LOCAL_RULES[k]!);
  const plan = base.plan;
  const crinitFiles = plan.files.filter((f) => f.entry === undefined);
  return (values) => {
    const resolved = resolve(options, { values });
    if (hasErrors(resolved.diagnostics)) return resolved.diagnostics;
    const { data, origins, replaced } = mergeLayers(resolved.layers);
    const entryLayer = [...resolved.layers].reverse().find((l) => !l.fixedPosition);
    const started = ruleContext(data as WrittenProfile, origins, resolved.chain, entryLayer);
    const diagnostics = [...resolved.diagnostics, ...replacementDiagnostics(replaced, resolved.chain), ...started.diagnostics];
    if (!started.ctx || hasErrors(diagnostics)) return diagnostics;
    runRules(started.ctx, rules);
    if (hasErrors(diagnostics)) return diagnostics;
    const L = started.locator;
    const files = userFiles({ profile: { files: (data as WrittenProfile).files ?? [] }, at: (pointer) => L.origin(pointer) });
    diagnostics.push(...checkCollisions({ ...plan, files: [...crinitFiles, ...files] }, L));
    return diagnostics;
  };
}

/**
 * prepareValueCheck gives what checkValues gives, for one profile and many sets of values: a
 * fleet's nodes. Where every per-node value stands under a key of LOCAL_RULES, only what those
 * values can change is checked again per node (localCheck); otherwise each call is checkValues.
 * test/value-check.test.ts holds the two to the same diagnostics.
 */
export function prepareValueCheck(options: CompileOptions): ValueCheck {
  const byNames = new Map<string, ((values: Readonly<Record<string, string>>) => readonly Diagnostic[]) | undefined>();
  const local = (names: readonly string[]) => {
    const key = [...names].sort().join(',');
    if (!byNames.has(key)) byNames.set(key, localCheck(options, [...names].sort()));
    return byNames.get(key);
  };
  const check = (values: Readonly<Record<string, string>>): readonly Diagnostic[] => {
    try {
      return (local(Object.keys(values)) ?? ((v) => run(options, { values: v }, true).diagnostics))(values);
    } catch (e) {
      return [internalError(e)];
    }
  };
  return Object.assign(check, { isLocal: (names: readonly string[]) => local(names) !== undefined });
}

/** A prepared per-node check; isLocal tells whether values of these names take the local check. */
export type ValueCheck = ((values: Readonly<Record<string, string>>) => readonly Diagnostic[]) & { readonly isLocal: (names: readonly string[]) => boolean };

/** What each compile() option must be, for callers without the types (plain JavaScript). */
const OPTION_CHECKS: Readonly<Record<keyof CompileOptions, { readonly ok: (v: unknown) => boolean; readonly want: string }>> = {
  profile: {
    ok: (v) => (typeof v === 'string' && v.length > 0) || (typeof v === 'object' && v !== null && typeof (v as { path?: unknown }).path === 'string' && typeof (v as { text?: unknown }).text === 'string'),
    want: 'a built-in DISTRO/RUNTIME name, or { path, text } of a profile file',
  },
  set: { ok: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), want: 'an array of "key.path=value" strings' },
  readFile: { ok: (v) => typeof v === 'function', want: 'a function (path) => string | undefined' },
  butane: { ok: (v) => typeof v === 'boolean', want: 'true or false' },
  document: { ok: (v) => typeof v === 'string' && Object.values(FORMATS).some((f) => f.document === v), want: `one of ${[...new Set(Object.values(FORMATS).map((f) => f.document))].join(', ')}` },
  checkOnly: { ok: (v) => typeof v === 'boolean', want: 'true or false' },
  annotate: { ok: (v) => typeof v === 'boolean', want: 'true or false' },
  variables: { ok: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string'), want: 'an object of name: string value' },
  offline: { ok: (v) => typeof v === 'boolean', want: 'true or false' },
  terraformTemplate: {
    ok: (v) => typeof v === 'object' && v !== null && ((v as { variables?: unknown }).variables === undefined || (Array.isArray((v as { variables: unknown }).variables) && ((v as { variables: unknown[] }).variables).every((x) => typeof x === 'string'))),
    want: '{ variables?: string[] }',
  },
};

/** checkCompileOptions refuses options compile() cannot take: not an object, an unknown name, a wrong type. */
function checkCompileOptions(options: unknown): Diagnostic[] {
  const err = (message: string, hint: string): Diagnostic => ({ severity: 'error', code: CODES.options, message, hint });
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return [err('compile() takes an options object', "call compile({ profile: 'ubuntu-24.04/containerd' })")];
  }
  const out: Diagnostic[] = [];
  const known = Object.keys(OPTION_CHECKS);
  for (const [key, value] of Object.entries(options)) {
    const check = OPTION_CHECKS[key as keyof CompileOptions];
    if (!check) {
      const guess = closest(key, known);
      out.push(err(`compile() has no option ${JSON.stringify(key)}`, `${guess ? `did you mean ${JSON.stringify(guess)}? ` : ''}its options: ${known.join(', ')}`));
    } else if (value !== undefined && !check.ok(value)) {
      out.push(err(`compile()'s option ${key} must be ${check.want}`, key === 'profile' ? `pass profile as ${check.want}` : `pass ${key} as ${check.want}, or leave it out`));
    }
  }
  if ((options as { profile?: unknown }).profile === undefined) out.push(err('compile() needs the option profile', `profile: ${OPTION_CHECKS.profile.want}`));
  return out;
}

/** internalError reports an exception from the pipeline: a crinit bug, never the user's input. */
function internalError(e: unknown): Diagnostic {
  return { severity: 'error', code: CODES.internal, message: `internal error: ${(e as Error).message}`, hint: 'this is a crinit bug; please report it with the profile' };
}

function strip({ sentinels: _s, ...result }: Run): CompileResult {
  return result;
}

/**
 * compile turns a profile into first-boot configuration. It never throws for bad input.
 *
 * Per-node variables: with `terraformTemplate`, the output is a templatefile() template; with
 * `variables`, the profile is first checked with the real values, then rendered exactly as
 * Terraform would render the template with them, so the two paths give the same bytes.
 */
export function compile(options: CompileOptions): CompileResult {
  // Called from plain JavaScript, the options may be anything: refused with a diagnostic, never a throw.
  const refused = checkCompileOptions(options as unknown);
  if (refused.length > 0) return { chain: '', diagnostics: refused };
  const name = profileName(options.profile);
  try {
    if (options.terraformTemplate) {
      const r = run(options, { templateNames: options.terraformTemplate.variables ?? [] });
      if (r.output === undefined) return strip(r);
      const tpl = toTemplate(r.output, r.sentinels, JSON.stringify(r.plan));
      if (tpl.text === undefined) return { ...strip(r), output: undefined, diagnostics: [...r.diagnostics, ...tpl.diagnostics] } as CompileResult;
      return { ...strip(r), output: tpl.text };
    }
    if (options.variables && Object.keys(options.variables).length > 0) {
      const bad = Object.entries(options.variables).filter(([, v]) => !isSimpleValue(v));
      if (bad.length > 0) {
        return {
          chain: name,
          diagnostics: bad.map(([k]) => ({
            severity: 'error' as const,
            code: CODES.variable,
            message: `the value of the variable ${JSON.stringify(k)} has characters that cannot go into every file as they are`,
            hint: 'per-node values may hold letters, digits and . _ : / @ + = , ~ - (hostnames, addresses, labels)',
          })),
        };
      }
      const checked = run(options, { values: options.variables });
      if (checked.output === undefined) return strip(checked);
      const filled = prepareTemplate(options, Object.keys(options.variables)).fill?.(options.variables);
      return { ...strip(checked), output: filled ?? checked.output };
    }
    return strip(run(options, {}));
  } catch (e) {
    return { diagnostics: [internalError(e)], chain: name };
  }
}
