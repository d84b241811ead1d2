/**
 * @fileoverview Diagnostics: what crinit tells the user about their input (and, rarely, about
 * itself). Every phase returns diagnostics instead of throwing for user mistakes; the pipeline
 * stops at the end of a phase that produced an error.
 */

/** A position in a source file, 1-based. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Where a value came from: the layer's display name, its file, and the JSON pointer in it. */
export interface Origin {
  readonly layer: string;
  readonly file: string;
  readonly pointer: string;
}

export type Severity = 'error' | 'warning';

/** One finding. `code` is stable (see CODES); `hint` says how to fix it. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly file?: string;
  readonly position?: Position;
  /** The source line the position points into, for a caret display. */
  readonly sourceLine?: string;
  /** The extends chain of the profile being compiled, e.g. "base > ubuntu-24.04 > containerd > node.yaml". */
  readonly chain?: string;
}

/** Error codes, grouped by phase. Messages are written as a fix. */
export const CODES = {
  yamlSyntax: 'E-LOAD-SYNTAX',
  notAMapping: 'E-LOAD-NOT-MAPPING',
  fileNotFound: 'E-LOAD-NOT-FOUND',
  schema: 'E-SCHEMA',
  unknownKey: 'E-SCHEMA-UNKNOWN-KEY',
  unknownProfile: 'E-RESOLVE-UNKNOWN',
  extendsCycle: 'E-RESOLVE-CYCLE',
  badSet: 'E-SET',
  incomplete: 'E-RULE-INCOMPLETE',
  unsupported: 'E-RULE-UNSUPPORTED',
  badVersion: 'E-RULE-VERSION',
  required: 'E-RULE-REQUIRED',
  conflict: 'E-RULE-CONFLICT',
  reference: 'E-RULE-REFERENCE',
  incompatible: 'E-RULE-INCOMPATIBLE',
  pauseImage: 'W-RULE-PAUSE',
  offline: 'E-OFFLINE',
  proxyPlaintext: 'W-PROXY-PLAINTEXT',
  proxyEndpoint: 'W-PROXY-ENDPOINT',
  fileReplaced: 'W-FILE-REPLACED',
  tooLarge: 'E-TOO-LARGE',
  /** Text that is not UTF-8, or a string no UTF-8 file can hold. */
  encoding: 'E-LOAD-ENCODING',
  /** A runtime that comes as a system extension image needs its release and sum from the profile. */
  sysextPin: 'E-RULE-SYSEXT',
  /** A fact only the user's subscription gives (MCR's repository key fingerprint). */
  subscription: 'E-RULE-SUBSCRIPTION',
  layeredPin: 'W-RULE-LAYERED-PIN',
  kubeletWiring: 'W-RULE-KUBELET-WIRING',
  secret: 'E-RULE-SECRET',
  capability: 'E-BACKEND-CAPABILITY',
  snippet: 'E-IGNITION-SNIPPET',
  snippetOverride: 'W-IGNITION-OVERRIDE',
  ignitionVersion: 'E-IGNITION-VERSION',
  budget: 'E-DELIVERY-BUDGET',
  budgetGzip: 'W-DELIVERY-GZIP',
  part: 'E-DELIVERY-PART',
  variable: 'E-VARIABLE',
  inventory: 'E-INVENTORY',
  write: 'E-WRITE',
  options: 'E-OPTIONS',
  cgroupAdvice: 'W-RULE-CGROUP',
  eolRuntime: 'W-RULE-EOL',
  internal: 'E-INTERNAL',
} as const;

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * formatDiagnostic renders one diagnostic the way a compiler does:
 *
 *   node.yaml:4:17: error E-SCHEMA: runtime.cgroupDriver must be one of: systemd, cgroupfs
 *     4 |   cgroupDriver: system
 *       |                 ^
 *     hint: ...
 *     profile: base > ubuntu-24.04 > containerd > node.yaml
 */
/** redact hides URL credentials (scheme://user:password@) in text shown to the user. */
export function redact(text: string): string {
  // One pass: at each "://", the authority runs to the next / ? # or line end; whatever stands
  // before its last @ is the userinfo, hidden whole, whatever it holds (spaces, quotes, @). Each
  // character is looked at a bounded number of times, so the time stays linear in the text.
  let out = '';
  let copied = 0;
  let i = 0;
  while ((i = text.indexOf('://', i)) >= 0) {
    const start = i + 3;
    let end = start;
    let lastAt = -1;
    for (; end < text.length; end++) {
      const c = text[end];
      if (c === '/' || c === '?' || c === '#' || c === '\n' || c === '\r') break;
      if (c === '@') lastAt = end;
    }
    if (lastAt >= 0) {
      out += text.slice(copied, start) + '***';
      copied = lastAt;
    }
    // Another "://" may begin at the authority's last character (the ":" before a "/").
    i = end > start ? end - 1 : start;
  }
  return out + text.slice(copied);
}

/** A diagnostic as `--json` gives it: what a machine reads, secrets redacted as in the text form. */
export interface DiagnosticJson {
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly hint: string | null;
}

export function diagnosticJson(d: Diagnostic): DiagnosticJson {
  return {
    file: d.file ?? null,
    line: d.position?.line ?? null,
    column: d.position?.col ?? null,
    code: d.code,
    severity: d.severity,
    message: redact(d.message),
    hint: d.hint !== undefined ? redact(d.hint) : null,
  };
}

/** How much of a long source line a report shows, around the column. */
const EXCERPT = 120;

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file
    ? `${d.file}${d.position ? `:${d.position.line}:${d.position.col}` : ''}: `
    : '';
  const lines = [`${where}${d.severity} ${d.code}: ${redact(d.message)}`];
  if (d.sourceLine !== undefined && d.position) {
    const num = String(d.position.line);
    const gutter = ' '.repeat(num.length);
    // A long line is shown as a window around the column, so that no input makes a huge report.
    // Redacted before it is cut, so that no window can show part of a userinfo.
    let shown = redact(d.sourceLine);
    let caret = Math.max(0, Math.min(d.position.col - 1, shown.length));
    if (shown.length > EXCERPT) {
      const start = Math.max(0, Math.min(caret - EXCERPT / 2, shown.length - EXCERPT));
      shown = `${start > 0 ? '…' : ''}${shown.slice(start, start + EXCERPT)}${start + EXCERPT < shown.length ? '…' : ''}`;
      caret = caret - start + (start > 0 ? 1 : 0);
    }
    lines.push(`  ${num} | ${shown}`);
    lines.push(`  ${gutter} | ${' '.repeat(caret)}^`);
  }
  if (d.hint) lines.push(`  hint: ${redact(d.hint)}`);
  if (d.chain) lines.push(`  profile: ${d.chain}`);
  return lines.map(redact).join('\n');
}
