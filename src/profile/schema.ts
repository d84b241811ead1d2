/**
 * @fileoverview Validating one layer against profiles/profile.schema.json with ajv, and turning
 * ajv's errors into diagnostics with a position, a message written as a fix, and no echo of the
 * offending value (it may be a secret).
 */

/** An error of the validator, as ajv's standalone code reports it (verbose: with schema and data). */
interface ErrorObject {
  readonly keyword: string;
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
  readonly parentSchema?: unknown;
  readonly data?: unknown;
  /** Set on errors about a property name (propertyNames). */
  readonly propertyName?: string;
}

type ValidateFunction = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
import { ASSETS } from '../assets.generated.js';
import { CODES, type Diagnostic } from '../diagnostics.js';
import validate from './validate.generated.js';
import { displayPath, locate, type SourceLayer } from './source.js';

export const PROFILE_SCHEMA: Record<string, unknown> = JSON.parse(ASSETS['profiles/profile.schema.json']!);

const FORMAT_HINTS: Record<string, string> = {
  'image-reference': 'an image reference such as registry.k8s.io/pause:3.10.2',
  'registry-host': 'a registry host such as docker.io, registry.k8s.io or registry.example.com:5000, or _default',
  'sysctl-name': 'a sysctl name such as net.ipv4.ip_forward (lower-case first segment, then . or / separated segments of letters, digits, _ and -)',
  'abs-path': 'an absolute path such as /etc/example.conf, with no .. segments, newlines or NUL bytes',
  'http-url': 'an http:// or https:// URL with no credentials, spaces, quotes or fragment',
  'safe-text': 'text without NUL, control characters other than tab and newline, or Unicode line separators',
  'proxy-url': 'a proxy URL such as http://proxy.example.com:3128 or http://user:password@proxy:3128 (percent-encode special characters in the credentials; no path, quotes or spaces)',
  'no-proxy-entry': 'a host (example.com), a domain (.example.com), an IP address or a CIDR such as 10.0.0.0/8',
  cidr: 'a CIDR such as 10.244.0.0/16 or fd00::/64',
  'mirror-prefix': 'a URL prefix such as https://mirror.example.com/pkgs.k8s.io/, or an image prefix such as registry.example.com/k8s/',
};

const TYPE_HINTS: Record<string, string> = {
  string: 'quote the value, e.g. "1" or "2.3"',
  array: 'write a YAML list: one `- item` per line, or [a, b]',
  object: 'write a YAML mapping: indented `key: value` lines',
};

/**
 * The validator, compiled from the schema at build time with the options ajv was given there
 * (allErrors, verbose, strict, allowUnionTypes; scripts/build-validator.mjs), so that no run
 * compiles it.
 */
function validator(): ValidateFunction {
  return validate as unknown as ValidateFunction;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** closest returns the candidate nearest to `word` when it is plausibly a typo of it. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function describeType(t: unknown): string {
  const types = Array.isArray(t) ? t : [t];
  return types.map((x) => (x === 'object' ? 'a mapping' : x === 'array' ? 'a list' : `a ${String(x)}`)).join(' or ');
}

function hintOf(e: ErrorObject): string | undefined {
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  const h = parent?.['x-hint'];
  return typeof h === 'string' ? h : undefined;
}

/** toDiagnostic turns one ajv error into a positioned diagnostic. */
function toDiagnostic(layer: SourceLayer, e: ErrorObject, chain: string): Diagnostic {
  let pointer = e.instancePath;
  let key: string | undefined;
  let message: string;
  let hint = hintOf(e);
  let code: string = CODES.schema;
  const path = displayPath(pointer);
  switch (e.keyword) {
    case 'additionalProperties': {
      key = String(e.params.additionalProperty);
      const allowed = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as object) ?? {});
      const guess = closest(key, allowed);
      code = CODES.unknownKey;
      message = `unknown key ${JSON.stringify(key)} ${pointer === '' ? 'at the top level' : `in ${path}`}`;
      hint = `${guess ? `did you mean ${JSON.stringify(guess)}? ` : ''}allowed keys here: ${allowed.join(', ')}`;
      break;
    }
    case 'required':
      message = `${path} is missing the required key ${JSON.stringify(String(e.params.missingProperty))}`;
      hint ??= `add ${String(e.params.missingProperty)} under ${path}`;
      break;
    case 'type':
      message = `${path} must be ${describeType(e.params.type)}`;
      hint ??= TYPE_HINTS[String(e.params.type)] ?? `write ${describeType(e.params.type)} here`;
      break;
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      message = `${path} must be one of: ${allowed.join(', ')}`;
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      hint ??= guess ? `did you mean ${JSON.stringify(guess)}?` : `write one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
      break;
    }
    case 'format': {
      const format = String(e.params.format);
      if (e.propertyName !== undefined) {
        key = e.propertyName;
        message = `the key ${JSON.stringify(key)} in ${path} is not ${FORMAT_HINTS[format] ? `valid: expected ${FORMAT_HINTS[format]}` : `a valid ${format}`}`;
      } else {
        message = `${path} is not valid: expected ${FORMAT_HINTS[format] ?? format}`;
      }
      hint ??= FORMAT_HINTS[format];
      break;
    }
    case 'pattern':
      if (e.propertyName !== undefined) {
        key = e.propertyName;
        message = `the key ${JSON.stringify(key)} in ${path} is not a valid name`;
        hint ??= 'use lower-case letters, digits and -';
      } else {
        message = `${path} is not valid`;
      }
      break;
    case 'minItems':
    case 'minLength':
      message = `${path} must not be empty`;
      break;
    case 'oneOf':
      message = `${path} is not valid${hint ? `: expected ${hint}` : ''}`;
      break;
    default:
      message = `${path} ${e.message ?? 'is not valid'}`;
  }
  const where = locate(layer, pointer, key);
  return {
    severity: 'error',
    code,
    message,
    ...(hint ? { hint } : {}),
    file: layer.file,
    ...where,
    chain,
  };
}

/**
 * validateLayer checks one layer against the profile schema. Errors under a failed `oneOf` or a
 * `propertyNames` wrapper are folded into the one error that explains them.
 */
export function validateLayer(layer: SourceLayer, chain: string): Diagnostic[] {
  // A layer is never changed once made: its verdict is kept with it (per chain, which the
  // diagnostics name).
  let byChain = verdicts.get(layer);
  if (!byChain) verdicts.set(layer, (byChain = new Map()));
  const known = byChain.get(chain);
  if (known) return known;
  const found = checkLayer(layer, chain);
  byChain.set(chain, found);
  return found;
}

const verdicts = new WeakMap<SourceLayer, Map<string, Diagnostic[]>>();

function checkLayer(layer: SourceLayer, chain: string): Diagnostic[] {
  const validate = validator();
  if (validate(layer.data)) return [];
  const errors = validate.errors ?? [];
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  const kept = errors.filter((e) => {
    if (e.keyword === 'propertyNames' || e.keyword === 'if') return false;
    if (e.keyword !== 'oneOf' && oneOfPaths.some((p) => e.instancePath === p || e.instancePath.startsWith(p + '/'))) return false;
    return true;
  });
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of kept) {
    const d = toDiagnostic(layer, e, chain);
    const k = `${d.position?.line}:${d.position?.col}:${d.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  return out;
}

