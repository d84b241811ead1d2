/**
 * @fileoverview The pipeline: load > validate > resolve > normalize (rules) > plan > render >
 * emit > verify. Each phase returns diagnostics; the pipeline stops after a phase that produced
 * an error. compile() does no I/O: built-in profiles and templates are embedded, and files that
 * a user profile extends are read through the caller's readFile.
 */
import { CODES, hasErrors, type Diagnostic } from './diagnostics.js';
import { emitCloudInit } from './backends/cloud-init/emit.js';
import type { Contributor } from './delivery.js';
import { buildPlan } from './plan/build.js';
import type { NodePlan, RenderedPlan } from './plan/types.js';
import { mergeLayers } from './profile/merge.js';
import { normalizeProfile } from './profile/normalize.js';
import { resolveProfile, type ProfileEntry } from './profile/resolve.js';
import type { Profile, WrittenProfile } from './profile/types.js';
import { renderPlan } from './render/render.js';

export type Backend = 'cloud-init';

export interface CompileOptions {
  /** A built-in DISTRO/RUNTIME name, or a profile file's path and text. */
  readonly profile: string | { readonly path: string; readonly text: string };
  /** --set overrides, `key.path=value`, applied after every file. */
  readonly set?: readonly string[];
  /** Reads files that a profile extends (paths as resolved from the extending file). */
  readonly readFile?: (path: string) => string | undefined;
  readonly backend?: Backend;
}

export interface CompileResult {
  /** The rendered output; undefined when an error was found. */
  readonly output?: string;
  readonly diagnostics: readonly Diagnostic[];
  /** The extends chain, e.g. "base > ubuntu-24.04 > containerd > node.yaml". */
  readonly chain: string;
  readonly profile?: Profile;
  readonly plan?: RenderedPlan;
  /** What takes the space in the output, largest parts first when sorted; for size budgets. */
  readonly contributors?: readonly Contributor[];
}

/** compile turns a profile into first-boot configuration. It never throws for bad input. */
export function compile(options: CompileOptions): CompileResult {
  const entry: ProfileEntry = typeof options.profile === 'string' ? { builtin: options.profile } : options.profile;
  const name = typeof options.profile === 'string' ? options.profile : options.profile.path;
  let chain = name;
  try {
    const resolved = resolveProfile(entry, { ...(options.readFile ? { readFile: options.readFile } : {}), ...(options.set ? { set: options.set } : {}) });
    chain = resolved.chain;
    if (hasErrors(resolved.diagnostics)) return { diagnostics: resolved.diagnostics, chain };

    const { data, origins } = mergeLayers(resolved.layers);
    const entryLayer = [...resolved.layers].reverse().find((l) => !l.fixedPosition);
    const norm = normalizeProfile(data as WrittenProfile, origins, chain, entryLayer);
    const diagnostics = [...resolved.diagnostics, ...norm.diagnostics];
    if (!norm.profile || hasErrors(diagnostics)) return { diagnostics, chain };

    const plan: NodePlan = buildPlan(norm.profile, name, norm.locator);
    const rendered = renderPlan(plan);
    const emitted = emitCloudInit(rendered);
    diagnostics.push(...emitted.diagnostics);
    if (hasErrors(diagnostics)) return { diagnostics, chain, profile: norm.profile, plan: rendered };
    return { output: emitted.text, diagnostics, chain, profile: norm.profile, plan: rendered, contributors: emitted.contributors };
  } catch (e) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: CODES.internal,
          message: `internal error: ${(e as Error).message}`,
          hint: 'this is a crinit bug; please report it with the profile',
        },
      ],
      chain,
    };
  }
}
