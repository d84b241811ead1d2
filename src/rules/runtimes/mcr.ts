/**
 * @fileoverview Mirantis Container Runtime: a dockerd with the cri-dockerd that ships with it
 * (cri-dockerd-ee). It shares Docker Engine's dockerd rules; what differs is its repository, which
 * is the subscriber's: the channel of a version line on Mirantis' repository, signed by the key
 * whose fingerprint the subscriber has from Mirantis. crinit ships no guess of that key.
 */
import { CODES } from '../../diagnostics.js';
import type { McrFacts, Repo } from '../../profile/types.js';
import type { RuleContext } from '../context.js';
import { dockerdChecks } from './docker.js';
import type { RuntimeRules } from './types.js';

const PRODUCT = 'Mirantis Container Runtime';

/** Where a subscriber finds the fingerprint, for the refusal's hint. */
const WHERE_THE_KEY_IS =
  "add mcr.keyFingerprint: the fingerprint of the repository signing key, which Mirantis gives subscribers (Mirantis' MCR install guide for your distro, or Mirantis support); crinit fetches the key on first boot and installs it only if its fingerprint is this one";

/** The channel of the version in force: stable-25.0 for "25.0", stable-25.0.14 for "25.0.14". */
function defaultChannel(ctx: RuleContext): string | undefined {
  const v = ctx.version;
  if (!v || (v.kind !== 'minor' && v.kind !== 'release')) return undefined;
  return `stable-${v.raw}`;
}

const read = new WeakMap<RuleContext, McrFacts | undefined>();

/** The section's facts, or undefined (with the errors reported, once) when one is missing. */
function facts(ctx: RuleContext): McrFacts | undefined {
  if (!read.has(ctx)) read.set(ctx, readFacts(ctx));
  return read.get(ctx);
}

function readFacts(ctx: RuleContext): McrFacts | undefined {
  const m = ctx.data.mcr ?? {};
  const channel = m.channel ?? defaultChannel(ctx);
  if (!m.keyFingerprint) {
    // Reported in the user's file when the mcr: section is only crinit's.
    ctx.err(ctx.L.isBuiltin('/mcr') ? '/extends' : '/mcr', `${PRODUCT} needs the fingerprint of its repository's signing key: mcr.keyFingerprint is not set`, WHERE_THE_KEY_IS, CODES.subscription);
    return undefined;
  }
  if (!m.repository || !channel || !m.criDockerdService || !m.criDockerdSocketUnit) return undefined;
  return {
    repository: m.repository,
    channel,
    keyFingerprint: m.keyFingerprint.replace(/ /g, '').toUpperCase(),
    criDockerdService: m.criDockerdService,
    criDockerdSocketUnit: m.criDockerdSocketUnit,
  };
}

export const mcr: RuntimeRules = {
  name: 'mcr',
  product: PRODUCT,
  publisher: 'Mirantis',
  versionExample: '25.0',
  handlersRefused: "its cri-dockerd starts a pod's sandbox with the RuntimeClass's handler but creates the pod's containers without it (cri-dockerd core/container_create.go), so the pod would not run on the handler",
  checkVersion(version, ctx) {
    if (version.kind !== 'minor' && version.kind !== 'release') {
      ctx.err(ctx.versionPtr, `${PRODUCT} versions are lines such as "25.0" (or a release such as "25.0.14"), each served by its own channel; ${JSON.stringify(version.raw)} names none`, 'write runtime.version as MAJOR.MINOR, e.g. "25.0"', CODES.badVersion);
    } else if (version.major < 20) {
      ctx.err(ctx.versionPtr, `${PRODUCT} ${version.raw} is older than any cri-dockerd supports`, 'use a current release such as "25.0"', CODES.badVersion);
    }
  },
  /**
   * The channel's repository on the distro's path of Mirantis' layout (Mirantis/launchpad's
   * configurers): apt {repository}/{os-release ID} with the codename as suite and the channel as
   * component; dnf {repository}/{os-release ID}/$releasever/$basearch/{channel}; the key at
   * {repository}/{os-release ID}/gpg, pinned by the subscriber's fingerprint.
   */
  repository(ctx): Repo | undefined {
    const f = facts(ctx);
    const os = ctx.distro.osRelease;
    if (!f || !os) return undefined;
    const root = `${f.repository}/${os.id}`;
    return {
      id: 'mcr',
      pointers: { repo: '/mcr/repository', key: '/mcr/keyFingerprint' },
      description: `Mirantis Container Runtime (${f.channel})`,
      key: { name: 'mcr', fingerprint: f.keyFingerprint, url: `${root}/gpg` },
      ...(os.codename ? { apt: { uri: root, suite: os.codename, components: [f.channel] } } : {}),
      yum: { baseurl: `${root}/$releasever/$basearch/${f.channel}` },
    };
  },
  section(ctx) {
    const docker = dockerdChecks(ctx, PRODUCT);
    const f = facts(ctx);
    if (!docker || (!f && ctx.data.mcr?.keyFingerprint)) return undefined;
    // Without the fingerprint, facts() has refused the profile already: nothing is built.
    return f ? { name: 'mcr', docker, mcr: f } : 'refused';
  },
};
