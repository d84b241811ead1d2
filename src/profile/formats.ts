/**
 * @fileoverview Value formats that the profile schema names. Each is a pure predicate, used by
 * ajv (schema formats) and by the rules. They exist so that a value that would break the file it
 * lands in (a newline in a sysctl, a quote in an image reference) is refused at the input.
 */
import { isIP } from 'node:net';

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]{1,5})?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

/** The distribution reference grammar (github.com/distribution/reference): name[:tag][@digest]. */
const IMAGE_REFERENCE = new RegExp(
  `^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::${tag})?(?:@${digest})?$`,
);
const REGISTRY_HOST = new RegExp(`^(?:${domain}|_default)$`);

/** isImageReference accepts references such as registry.k8s.io/pause:3.10.2 or repo@sha256:…. */
export function isImageReference(value: string): boolean {
  if (value.length > 512) return false;
  const name = value.split('@')[0]!.replace(/:[\w][\w.-]{0,127}$/, '');
  return IMAGE_REFERENCE.test(value) && name.length <= 255;
}

/** isRegistryHost accepts a registry host as it appears in image references (docker.io, host:5000), or _default. */
export function isRegistryHost(value: string): boolean {
  return value.length <= 253 && REGISTRY_HOST.test(value);
}

/** isSysctlName accepts dotted (or slashed) sysctl keys such as net.ipv4.ip_forward. */
export function isSysctlName(value: string): boolean {
  return value.length <= 256 && /^[a-z0-9_]+(?:[./][A-Za-z0-9_-]+)+$/.test(value);
}

/**
 * Characters that YAML readers treat as line breaks or refuse outright (C0/C1 controls, NEL,
 * the Unicode line and paragraph separators, a stray BOM, non-characters). A value holding one
 * cannot be written into a YAML document, a shell line or a config file and read back the same.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/u;

/** isSafeText accepts text, tabs and newlines included, with none of the characters above. */
export function isSafeText(value: string): boolean {
  return !UNSAFE_TEXT.test(value) && !/[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}

/** isAbsPath accepts a normalized absolute path with no control characters. */
export function isAbsPath(value: string): boolean {
  if (value.length < 2 || value.length > 4096 || !value.startsWith('/') || value.endsWith('/')) return false;
  if (!isSafeText(value) || /[\t\n]/.test(value)) return false;
  return value
    .slice(1)
    .split('/')
    .every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/**
 * isHttpUrl accepts an http(s) URL that can be written into TOML, YAML, apt and dnf files as is:
 * no credentials (they would end up in world-readable files and logs), no whitespace, quotes,
 * backslashes or control characters, and no fragment.
 */
export function isHttpUrl(value: string): boolean {
  if (value.length > 2048 || !/^https?:\/\//.test(value)) return false;
  // `$` is allowed for dnf's $basearch / $releasever.
  if (!/^[A-Za-z0-9\-._~:/?[\]@!$&'()*+,;=%]+$/.test(value)) return false;
  if (/['"]/.test(value)) return false;
  // RFC 3986 beyond what the URL parser checks: every % starts an escape, and brackets only
  // enclose an IPv6 host.
  if (/%(?![0-9A-Fa-f]{2})/.test(value) || !/^https?:\/\/(\[[0-9A-Fa-f:.]+\])?[^[\]]*$/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.username === '' && url.password === '' && url.hash === '' && url.hostname !== '';
}

/**
 * isProxyUrl accepts an http:// or https:// proxy URL: a host, an optional port, optional
 * credentials (percent-encoded), and nothing after the host but an optional "/". Quotes,
 * whitespace and backslashes are refused: the value goes into apt.conf, systemd units and a shell
 * environment file.
 */
export function isProxyUrl(value: string): boolean {
  if (value.length > 2048 || !/^https?:\/\//.test(value)) return false;
  if (!/^[A-Za-z0-9\-._~:/?[\]@!$&()*+,;=%]+$/.test(value)) return false;
  // Credentials are percent-encoded: a % starts a two-digit escape, and one @ ends them (an @ in
  // the password itself is %40; readers disagree about which @ ends an unencoded one).
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) return false;
  if ((value.slice(value.indexOf('://') + 3).split('/')[0]!.match(/@/g) ?? []).length > 1) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.hostname !== '' && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '';
}

/** isNoProxyEntry accepts one NO_PROXY entry: *, a host or .domain (with an optional port), an IP address or a CIDR. */
export function isNoProxyEntry(value: string): boolean {
  if (value === '*') return true;
  if (value.length > 253) return false;
  if (isCidr(value) || isIP(value) !== 0) return true;
  if (/^\[[0-9a-fA-F:.]+\](?::[0-9]{1,5})?$/.test(value)) return isIP(value.slice(1, value.indexOf(']'))) === 6;
  return /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$/.test(value);
}

/** isCidr accepts an IPv4 or IPv6 network in CIDR notation, such as 10.244.0.0/16. */
export function isCidr(value: string): boolean {
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(value);
  if (!m) return false;
  const family = isIP(m[1]!);
  const bits = Number(m[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}

/** An image prefix: a registry host and optional repository path, as image references start. */
const IMAGE_PREFIX = new RegExp(`^${domain}(?:/${pathComponent})*/?$`);

/**
 * isMirrorPrefix accepts what `mirrors:` rewrites: an http(s) URL prefix (no credentials), or an
 * image prefix such as registry.k8s.io/ or registry.example.com:5000/k8s/.
 */
export function isMirrorPrefix(value: string): boolean {
  return isHttpUrl(value) || (value.length <= 255 && IMAGE_PREFIX.test(value) && value.includes('.'));
}

/**
 * commentText makes text safe on one comment line of any format crinit writes (shell, YAML 1.1,
 * INI, systemd, apt): every character that some reader takes for a line break or a control
 * character (C0, DEL, C1 with NEL, U+2028, U+2029) becomes "?". A profile's name goes into
 * comments this way, so no name can start a line of its own in a file a node reads.
 */
export function commentText(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/**
 * notUtf8At finds the first place a text read from a file was not UTF-8: a byte no UTF-8 text
 * holds is read as U+FFFD, and crinit would write U+FFFD in its place without a word. It returns
 * the line and column, or undefined when the text is clean.
 */
export function notUtf8At(text: string): { line: number; col: number } | undefined {
  const offset = text.indexOf('\uFFFD');
  if (offset < 0) return undefined;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/** A lone UTF-16 surrogate (a "\ud800" escape with no pair), which no file can hold as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** loneSurrogatePointer finds the first string in a parsed value that holds a lone surrogate, as a JSON pointer. */
export function loneSurrogatePointer(value: unknown, pointer = ''): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? pointer : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = loneSurrogatePointer(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
