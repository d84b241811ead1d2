/**
 * @fileoverview What a node fetches, for air-gapped sites: the manifest (every artifact a profile
 * needs, with its pin, so a mirror can be filled ahead of time) and the offline check (no public
 * host left in the output once `mirrors:` has rewritten it).
 *
 * Internal hosts are the ones the profile names as its own: the targets of `mirrors:`, the
 * registry mirrors, the proxy, loopback, and private, link-local and unique-local addresses.
 * Every other host is public. The check reads the artifacts of the plan and, so that nothing slips
 * past it (a URL in a user's file or command), every URL in the output's text, file contents
 * decoded.
 */
import { isIP } from 'node:net';
import { CODES, redact, type Diagnostic } from './diagnostics.js';
import { imageRegistry, registryServer } from './plan/build.js';
import type { PlanArtifact, RenderedPlan } from './plan/types.js';
import type { Profile } from './profile/types.js';

/** The host of a URL, without credentials, port or brackets; undefined for host-less URLs (unix://). */
export function urlHost(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(url);
  const host = m?.[1]?.replace(/^\[|\]$/g, '').toLowerCase();
  return host ? host : undefined;
}

function isPrivateAddress(host: string): boolean {
  const v = isIP(host);
  if (v === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (v === 6) return host === '::1' || /^f[cd]/i.test(host) || /^fe[89ab]/i.test(host);
  return host === 'localhost' || host.endsWith('.localhost');
}

/** The hosts a profile names as its own (mirror targets, registry mirrors, the proxy). */
export function internalHosts(profile: Profile): Set<string> {
  const hosts = new Set<string>();
  for (const [, to] of profile.mirrors) {
    const h = /^https?:\/\//.test(to) ? urlHost(to) : to.split('/')[0]!.replace(/:[0-9]+$/, '');
    if (h) hosts.add(h.toLowerCase());
  }
  for (const [, urls] of profile.runtime.registryMirrors) for (const u of urls) hosts.add(urlHost(u)!);
  for (const u of [profile.proxy?.http, profile.proxy?.https]) if (u) hosts.add(urlHost(u)!);
  return hosts;
}

/** The hosts an artifact is fetched from: an image through its registry mirrors, if it has any. */
function artifactHosts(a: PlanArtifact): string[] {
  if (a.kind === 'image') return a.registryMirrors ? a.registryMirrors.map((u) => urlHost(u)!) : [imageRegistry(a.url).replace(/:[0-9]+$/, '')];
  const h = urlHost(a.url);
  return h ? [h] : [];
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>\\]+/gi;

/**
 * checkOffline returns an error for every public host the output would reach: first the plan's
 * artifacts (with the key to add under mirrors:), then any other URL in the text.
 */
export function checkOffline(plan: RenderedPlan, profile: Profile, texts: readonly { where: string; text: string }[]): Diagnostic[] {
  const internal = internalHosts(profile);
  const isPublic = (h: string): boolean => !internal.has(h) && !isPrivateAddress(h);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const a of plan.artifacts) {
    for (const h of artifactHosts(a).filter(isPublic)) {
      seen.add(h);
      const prefix = a.kind === 'image' ? `${imageRegistry(a.upstream)}/` : `${a.upstream.replace(/^([a-z]+:\/\/[^/]+\/).*$/i, '$1')}`;
      out.push({
        severity: 'error',
        code: CODES.offline,
        message: `--offline: the ${a.kind} ${redact(a.url)} is fetched from the public host ${h}`,
        hint:
          a.kind === 'image'
            ? `mirror it: mirrors: { "${prefix}": "registry.example.internal/…/" }, or give runtime.registryMirrors["${imageRegistry(a.upstream)}"] an internal mirror`
            : `mirror it: mirrors: { "${prefix}": "https://mirror.example.internal/…/" } (set by ${a.origin.layer} ${a.origin.pointer})`,
        chain: plan.chain,
      });
    }
  }
  // A mirrored registry's own name stays in its hosts.toml (server =): containerd tries the
  // mirrors first, so the upstream is only named, not needed.
  const named = new Set(profile.runtime.registryMirrors.map(([host]) => registryServer(host)).filter((x): x is string => x !== undefined));
  for (const { where, text } of texts) {
    for (const url of text.match(URL_IN_TEXT) ?? []) {
      const h = urlHost(url);
      if (!h || !isPublic(h) || seen.has(h) || named.has(url.replace(/[",;)\]]+$/, ''))) continue;
      seen.add(h);
      out.push({
        severity: 'error',
        code: CODES.offline,
        message: `--offline: ${where === 'the output' ? 'the output' : where} names the public host ${h} (${redact(url)})`,
        hint: 'mirror it with mirrors:, or change the file or command that names it',
        chain: plan.chain,
      });
    }
  }
  return out;
}

/** A manifest entry: what to put on the mirror, and how the node checks it (an artifact without its plan bookkeeping). */
export type ManifestEntry = Omit<PlanArtifact, 'origin' | 'id'>;

export function manifest(plan: RenderedPlan): ManifestEntry[] {
  return plan.artifacts.map((a) => ({
    kind: a.kind,
    url: a.url,
    upstream: a.upstream,
    ...(a.sha256 ? { sha256: a.sha256 } : {}),
    ...(a.fingerprint ? { fingerprint: a.fingerprint } : {}),
    ...(a.version ? { version: a.version } : {}),
    ...(a.packages ? { packages: a.packages } : {}),
    ...(a.registryMirrors ? { registryMirrors: a.registryMirrors } : {}),
  }));
}

/** The manifest as a table for people. */
export function formatManifest(entries: readonly ManifestEntry[], distroPackages: readonly string[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    const pin = e.sha256 ? `sha256 ${e.sha256}` : e.fingerprint ? `signed by ${e.fingerprint}` : e.registryMirrors ? `through ${e.registryMirrors.join(', ')}` : '';
    lines.push(`${e.kind.padEnd(10)} ${redact(e.url)}${e.url !== e.upstream ? ` (upstream ${e.upstream})` : ''}`);
    if (pin) lines.push(`${''.padEnd(10)}   ${pin}`);
    if (e.version) lines.push(`${''.padEnd(10)}   version ${e.version}`);
    if (e.packages) lines.push(`${''.padEnd(10)}   packages: ${e.packages.join(', ')}`);
  }
  if (distroPackages.length > 0) lines.push(`from the distro's own repositories (not listed above): ${distroPackages.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
