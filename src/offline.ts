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
import ipaddr from 'ipaddr.js';
import { CODES, redact, type Diagnostic } from './diagnostics.js';
import { imageRegistry, registryServer } from './plan/build.js';
import type { PlanArtifact, RenderedPlan } from './plan/types.js';
import type { Profile } from './profile/types.js';

/**
 * The host a URL reaches, read the way curl reads it: the authority runs to the first / ? or #
 * (a backslash does not end it), and the host follows its last @, so "http://10.0.0.1\\@evil/"
 * reaches evil. No credentials, port or brackets; undefined for host-less URLs (unix://).
 */
export function urlHost(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url);
  if (!m) return undefined;
  const authority = m[1]!.slice(m[1]!.lastIndexOf('@') + 1);
  const host = (/^\[([^\]]*)\]/.exec(authority)?.[1] ?? authority.replace(/:[0-9]*$/, '')).toLowerCase();
  return host ? host : undefined;
}

/**
 * Whether a host is the site's own by its address: loopback, private, link-local, unique-local,
 * carrier-grade NAT, and the same inside an IPv4-mapped IPv6 address (ipaddr.js judges them).
 */
function isPrivateAddress(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(host)) return false;
  let addr = ipaddr.parse(host);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return PRIVATE_RANGES.has(addr.range());
}

const PRIVATE_RANGES = new Set(['loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat', 'unspecified']);

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

/** Whether a host is public: neither one the profile names as its own nor a private address. */
function publicHosts(profile: Profile): (host: string) => boolean {
  const internal = internalHosts(profile);
  return (h) => !internal.has(h) && !isPrivateAddress(h);
}

/** The hosts an artifact is fetched from: an image through its registry mirrors, if it has any. */
function artifactHosts(a: PlanArtifact): string[] {
  if (a.kind === 'image') return a.registryMirrors ? a.registryMirrors.map((u) => urlHost(u)!) : [imageRegistry(a.url).replace(/:[0-9]+$/, '')];
  const h = urlHost(a.url);
  return h ? [h] : [];
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/gi;

/** A text the node reads, and whether it is commands a shell runs (a command, a script). */
export interface NodeText {
  readonly where: string;
  readonly text: string;
  readonly commands?: boolean;
}

/** What a piece of text makes the node fetch: a host, or a fetch whose target cannot be read. */
type Fetch = { readonly host: string; readonly what: string; readonly throughCri?: boolean } | { readonly unknown: string };

const LEADERS = new Set(['sudo', 'exec', 'env', '-', 'then', 'do', 'else']);

/** Splits shell text into simple commands, each a list of words (quotes removed; enough to find fetchers). */
function shellCommands(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split(/\n|;|&&|\|\||\|/)) {
    const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
    // Past assignments, sudo/exec/env, and a YAML list's dash (a runcmd entry in a cloud-config part).
    const start = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) && !LEADERS.has(w));
    if (start >= 0 && !words[start]!.startsWith('#')) out.push(words.slice(start));
  }
  return out;
}

/** The host a fetcher's target names: a URL, host/path with no scheme (curl and wget read it as http), or git's user@host:path. */
function targetHost(target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return urlHost(target);
  const scp = /^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):/.exec(target);
  if (scp) return scp[1]!.toLowerCase();
  const bare = /^([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?(?:\/|$)/.exec(target);
  return bare ? bare[1]!.replace(/^\[|\]$/g, '').toLowerCase() : undefined;
}

/** The image registry a pull reaches, or the default registry a tool pulls from. */
const PULLERS = new Set(['ctr', 'crictl', 'docker', 'nerdctl', 'podman']);

/**
 * What the commands in a text fetch: curl and wget targets, image pulls (ctr, crictl, docker,
 * nerdctl, podman), kubeadm's images and git clones. A target crinit cannot read (a variable, a
 * command substitution) is reported as such, never passed.
 */
function commandFetches(text: string): Fetch[] {
  const out: Fetch[] = [];
  for (const words of shellCommands(text)) {
    const tool = words[0]!.replace(/^.*\//, '');
    const args = words.slice(1).filter((w) => !w.startsWith('-'));
    const dynamic = (w: string): boolean => /[$`]/.test(w);
    if (tool === 'curl' || tool === 'wget') {
      for (const a of args) {
        if (dynamic(a)) out.push({ unknown: `${tool} ${a}` });
        else {
          const host = targetHost(a);
          if (host) out.push({ host, what: `${tool} ${a}` });
        }
      }
    } else if (PULLERS.has(tool)) {
      const i = words.indexOf('pull');
      const ref = i >= 0 ? words.slice(i + 1).find((w) => !w.startsWith('-')) : undefined;
      const what = `${words.slice(0, i + 1).join(' ')} ${ref}`;
      // crictl pulls through the runtime (CRI), so the runtime's registry mirrors apply.
      if (ref !== undefined) out.push(dynamic(ref) ? { unknown: what } : { host: imageRegistry(ref).replace(/:[0-9]+$/, '').toLowerCase(), what, throughCri: tool === 'crictl' });
    } else if (tool === 'kubeadm' && (words.includes('init') || (words.includes('images') && words.includes('pull')))) {
      // kubeadm pulls the control plane's images from registry.k8s.io unless told otherwise.
      const i = words.findIndex((w) => w === '--image-repository' || w.startsWith('--image-repository='));
      const repo = i < 0 ? undefined : words[i]!.includes('=') ? words[i]!.slice(words[i]!.indexOf('=') + 1) : words[i + 1];
      if (words.some((w) => w === '--config' || w.startsWith('--config='))) out.push({ unknown: `${words.join(' ')} (its images come from the config file)` });
      else if (repo !== undefined && dynamic(repo)) out.push({ unknown: words.join(' ') });
      else out.push({ host: (repo ?? 'registry.k8s.io').split('/')[0]!.replace(/:[0-9]+$/, '').toLowerCase(), what: words.join(' '), throughCri: true });
    } else if (tool === 'git' && (words.includes('clone') || words.includes('fetch') || words.includes('pull'))) {
      const sub = args[0]!;
      for (const a of args.slice(1)) {
        if (dynamic(a)) out.push({ unknown: `git ${sub} ${a}` });
        else {
          const host = targetHost(a);
          if (host) out.push({ host, what: `git ${sub} ${a}` });
        }
      }
    }
  }
  return out;
}

/**
 * checkOfflineTexts returns an error for every public host the texts would make the node reach:
 * each URL (its host as curl reads it), and in commands each fetch (curl or wget with no scheme,
 * image pulls, kubeadm's images, git), and each fetch whose target cannot be read. shown turns an
 * internal word back into what the user wrote (a Terraform template's ${name}).
 */
export function checkOfflineTexts(profile: Profile, texts: readonly NodeText[], chain: string, seen: Set<string> = new Set(), shown: (s: string) => string = (s) => s): Diagnostic[] {
  const isPublic = publicHosts(profile);
  const out: Diagnostic[] = [];
  // A mirrored registry's own name stays in its hosts.toml (server =): containerd tries the
  // mirrors first, so the upstream is only named, not needed.
  const named = new Set(profile.runtime.registryMirrors.map(([host]) => registryServer(host)).filter((x): x is string => x !== undefined));
  // Registries a pull through the runtime reaches through its mirrors (_default: every one).
  const mirroredHosts = new Set(profile.runtime.registryMirrors.map(([host]) => host));
  const mirrored = (host: string): boolean => mirroredHosts.has('_default') || mirroredHosts.has(host);
  for (const { where, text, commands } of texts) {
    for (const f of commands ? commandFetches(text) : []) {
      if ('unknown' in f) {
        out.push({ severity: 'error', code: CODES.offline, message: `--offline: ${where} runs ${redact(shown(f.unknown))}, and crinit cannot tell which host that fetches from`, hint: 'write the internal address the command fetches from, or leave the command out of an air-gapped profile', chain });
      } else if (f.throughCri && mirrored(f.host)) {
        continue;
      } else if (isPublic(f.host) && !seen.has(f.host)) {
        seen.add(f.host);
        out.push({ severity: 'error', code: CODES.offline, message: `--offline: ${where} runs ${redact(shown(f.what))}, which fetches from the public host ${shown(f.host)}`, hint: 'point the command at an internal mirror', chain });
      }
    }
    for (const url of text.match(URL_IN_TEXT) ?? []) {
      const h = urlHost(url);
      if (!h || !isPublic(h) || seen.has(h) || named.has(url.replace(/[",;)\]]+$/, ''))) continue;
      seen.add(h);
      out.push({ severity: 'error', code: CODES.offline, message: `--offline: ${where} names the public host ${shown(h)} (${redact(shown(url))})`, hint: 'mirror it with mirrors:, or change the file or command that names it', chain });
    }
  }
  return out;
}

/**
 * checkOffline returns an error for every public host the output would reach: first the plan's
 * artifacts (with the key to add under mirrors:), then what the texts name or their commands fetch.
 */
export function checkOffline(plan: RenderedPlan, profile: Profile, texts: readonly NodeText[], shown: (s: string) => string = (s) => s): Diagnostic[] {
  const isPublic = publicHosts(profile);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const a of plan.artifacts) {
    for (const h of artifactHosts(a).filter(isPublic)) {
      seen.add(h);
      const prefix = a.kind === 'image' ? `${imageRegistry(a.upstream)}/` : `${a.upstream.replace(/^([a-z]+:\/\/[^/]+\/).*$/i, '$1')}`;
      out.push({
        severity: 'error',
        code: CODES.offline,
        message: `--offline: the ${a.kind} ${redact(shown(a.url))} is fetched from the public host ${h}`,
        hint:
          a.kind === 'image'
            ? `mirror it: mirrors: { "${prefix}": "registry.example.internal/…/" }, or give runtime.registryMirrors["${imageRegistry(a.upstream)}"] an internal mirror`
            : `mirror it: mirrors: { "${prefix}": "https://mirror.example.internal/…/" } (set by ${a.origin.layer} ${a.origin.pointer})`,
        chain: plan.chain,
      });
    }
  }
  // The profile's own commands, and its files that are scripts, are read as commands too.
  const commands: NodeText[] = [
    ...profile.commands.map((c, i) => ({ where: `commands[${i}]`, text: typeof c === 'string' ? c : c.map((w) => (/[\s;&|]/.test(w) ? `'${w}'` : w)).join(' '), commands: true })),
    ...plan.files.filter((f) => f.entry && f.contents.startsWith('#!')).map((f) => ({ where: f.path, text: f.contents, commands: true })),
  ];
  return [...out, ...checkOfflineTexts(profile, [...commands, ...texts], plan.chain, seen, shown)];
}

/** A manifest entry: what to put on the mirror, and how the node checks it (an artifact without its plan bookkeeping). */
export type ManifestEntry = Omit<PlanArtifact, 'origin' | 'id'>;

export function manifest(plan: RenderedPlan): ManifestEntry[] {
  return plan.artifacts.map((a) => ({
    kind: a.kind,
    url: a.url,
    upstream: a.upstream,
    ...(a.sha256 ? { sha256: a.sha256 } : {}),
    ...(a.sha512 ? { sha512: a.sha512 } : {}),
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
    const pin = e.sha256 ? `sha256 ${e.sha256}` : e.sha512 ? `sha512 ${e.sha512}` : e.fingerprint ? `signed by ${e.fingerprint}` : e.registryMirrors ? `through ${e.registryMirrors.join(', ')}` : '';
    lines.push(`${e.kind.padEnd(10)} ${redact(e.url)}${e.url !== e.upstream ? ` (upstream ${e.upstream})` : ''}`);
    if (pin) lines.push(`${''.padEnd(10)}   ${pin}`);
    if (e.version) lines.push(`${''.padEnd(10)}   version ${e.version}`);
    if (e.packages) lines.push(`${''.padEnd(10)}   packages: ${e.packages.join(', ')}`);
  }
  if (distroPackages.length > 0) lines.push(`from the distro's own repositories (not listed above): ${distroPackages.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
