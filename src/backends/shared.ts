/**
 * @fileoverview What both backends share when they lower plan steps: the shape of one step's
 * command line, the steps whose command is the same everywhere, and the size report type. The
 * backends import this and the plan's types, never each other.
 */
import type { Diagnostic, Origin, Severity } from '../diagnostics.js';
import type { RenderedPlan } from '../plan/types.js';
import type { BackendName } from '../profile/types.js';

/** One step's command line before it is wrapped in crinit-step (a runcmd entry, a line of crinit-firstboot). */
export interface Line {
  readonly id: string;
  readonly argv: readonly string[];
  readonly retries?: number;
  readonly delay?: number;
  /** Ignition: the step asks for a reboot (into layered packages) once it has passed. */
  readonly reboot?: boolean;
}

/**
 * DISABLE_SWAP turns swap off now and for good: swapoff, then every active swap line of
 * /etc/fstab commented out (a copy is kept as fstab.crinit). swap.target is masked by its own
 * step, as kubespray does, so no swap unit is pulled in at boot.
 */
const DISABLE_SWAP = [
  'set -eu',
  'fstab=$1',
  'swapoff -a',
  'if awk \'$1 !~ /^#/ && $3 == "swap" { found = 1 } END { exit !found }\' "$fstab"; then',
  '  cp -p "$fstab" "$fstab.crinit"',
  '  awk \'$1 !~ /^#/ && $3 == "swap" { print "# crinit: kubelet needs swap off: " $0; next } { print }\' "$fstab.crinit" > "$fstab.tmp"',
  '  mv "$fstab.tmp" "$fstab"',
  'fi',
].join('\n');

export function disableSwapLine(id: string): Line {
  return { id, argv: ['sh', '-c', DISABLE_SWAP, 'sh', '/etc/fstab'] };
}

/** A part of the output and the bytes it takes, for "what is using the space" messages. */
export interface Contributor {
  readonly label: string;
  readonly bytes: number;
}

/** Turns a plan origin into a diagnostic with the file, line and column of the value. */
export type Reporter = (severity: Severity, code: string, origin: Origin, message: string, hint: string) => Diagnostic;

/** What a backend is given besides the plan: where to report, and how to read a file the profile names. */
export interface EmitContext {
  readonly report: Reporter;
  readonly readFile?: (path: string) => string | undefined;
  /** Another document than the backend's own (Ignition: butane); the format registry checks it is one the backend writes. */
  readonly document?: DocumentName;
  /** Run every check the backend makes (capabilities, spec versions, snippets), but write nothing. */
  readonly checkOnly?: boolean;
}

/** What a backend writes for a plan. */
export interface Emitted {
  readonly text: string;
  /** The document the backend's own format names: cloud-config user-data, Ignition JSON or Butane YAML. */
  readonly document: DocumentName;
  readonly diagnostics: Diagnostic[];
  readonly contributors: Contributor[];
}

/** The documents a backend writes. */
export type DocumentName = 'cloud-config' | 'ignition' | 'butane';

/**
 * A backend: one per family of first-boot systems, registered in src/backends/registry.ts. What
 * differs between them is here, so that nothing above asks which backend it is.
 */
export interface Backend {
  readonly name: BackendName;
  /** The document it writes by default. */
  readonly document: DocumentName;
  /** What the first-boot system is called in messages ("cloud-init", "Ignition"). */
  readonly system: string;
  /** Where `serve` hands a machine its config: NoCloud's /nocloud/<mac>/ or /ignition?mac=. */
  readonly route: '/nocloud/' | '/ignition';
  /** Whether the first-boot system reads a gzip-compressed document from user-data. */
  readonly readsGzip: boolean;
  emit(plan: RenderedPlan, context: EmitContext): Emitted;
  /** Kernel arguments that point a machine (os-release ID os) at its config on a boot server at base. */
  configArgs(base: string, mac: string, os: string, given: string): string[];
  /** Every text the node reads from a document: each file's contents, then the document itself. */
  texts(output: string, document: DocumentName): { where: string; text: string }[];
}

/**
 * A shell check of the machine's architecture against the profile's ($ARG, amd64 or arm64): the
 * downloads of a plan are the profile's architecture's, so a machine of another stops there.
 */
export const archCheck = (arg: string): string =>
  [
    'case $(uname -m) in x86_64) have=amd64 ;; aarch64 | arm64) have=arm64 ;; *) have=$(uname -m) ;; esac',
    `if [ "$have" != "${arg}" ]; then echo "crinit: this machine is $have, but the profile says arch: ${arg}" >&2; exit 1; fi`,
  ].join('; ');
