/**
 * @fileoverview The runtime: its defaults (the pause image, a minor that follows Kubernetes'),
 * the source it comes from on this distro, its version, and its own section of the profile. What
 * differs between runtimes is asked of its module in ./runtimes/.
 */
import { CODES } from '../diagnostics.js';
import { parseVersion } from '../profile/normalize.js';
import type { RuntimeSource } from '../profile/types.js';
import type { Rule } from './context.js';
import { RUNTIME_RULES } from './runtimes/index.js';

export const SOURCES: readonly RuntimeSource[] = ['upstream', 'distro', 'builtin'];

export const runtimeDefaults: Rule = {
  name: 'runtime defaults',
  run(ctx) {
    const { rt, k8s, L, data } = ctx;
    const written = data.runtime!;
    const module = RUNTIME_RULES[rt.name];
    // A runtime whose minor follows Kubernetes': a built-in default follows it, the user's own must match.
    if (k8s.minor && module?.followsKubernetesMinor) {
      if (written.version === undefined) rt.version = k8s.minor;
      else {
        const v = parseVersion(written.version);
        if (v && v.minor !== undefined && `${v.major}.${v.minor}` !== k8s.minor) {
          ctx.err('/runtime/version', `${module.product} ${v.major}.${v.minor} does not match Kubernetes ${k8s.minor}`, `it releases one minor per Kubernetes minor: set runtime.version to "${k8s.minor}", or remove it and crinit follows kubernetes.version`, CODES.incompatible);
        }
      }
    }
    // The pause image: the one the Kubernetes minor expects, unless the user's layers name one.
    if (k8s.minor && L.isBuiltin('/runtime/sandboxImage')) {
      const pause = data.kubernetes?.pauseImages?.[k8s.minor];
      if (pause) rt.sandboxImage = pause;
      else {
        ctx.warn('/kubernetes/version', CODES.pauseImage, `crinit does not know the pause image Kubernetes ${k8s.minor} expects, so the runtime's default ${rt.sandboxImage ?? ''} stays`, 'set runtime.sandboxImage to the image `kubeadm config images list` prints for this version');
      }
    }
    if (!rt.sandboxImage) ctx.err('/runtime', 'runtime.sandboxImage is not set', 'set runtime.sandboxImage, e.g. registry.k8s.io/pause:3.10.2', CODES.incomplete);
  },
};

/** The runtime source must exist on this distro; an unsupported combination stops the rules. */
export const runtimeSource: Rule = {
  name: 'runtime source',
  run(ctx) {
    const { rt, distro, data } = ctx;
    const module = RUNTIME_RULES[rt.name];
    const byRuntime = data.packaging?.[rt.name] ?? {};
    const packaging = byRuntime[rt.source];
    ctx.packaging = packaging;
    if (!packaging) {
      const available = SOURCES.filter((s) => byRuntime[s]);
      const why = {
        upstream: `${module?.publisher ?? rt.name} publishes no repository for this distro`,
        distro: `crinit knows no ${rt.name} package of this distro's own`,
        builtin: `${rt.name} is not part of this distro's image`,
      }[rt.source];
      ctx.err(
        '/runtime/source',
        `runtime.source ${JSON.stringify(rt.source)} is not available for ${rt.name} on ${distro.id}`,
        available.length ? `use runtime.source: ${available.join(' or ')} (${why})` : `crinit has no ${rt.name} packaging for ${distro.id}`,
        CODES.unsupported,
      );
    } else if (packaging.unsupported) {
      ctx.err(
        `/packaging/${rt.name}/${rt.source}`,
        `${rt.name} is not supported on ${distro.id}: ${packaging.unsupported}`,
        SOURCES.some((x) => x !== rt.source && byRuntime[x]) ? 'choose another runtime.source' : 'choose another runtime or distro (see `crinit list`)',
        CODES.unsupported,
      );
      // An unsupported combination is refused for that reason alone.
      ctx.stop = true;
    } else if (rt.source === 'builtin' && data.runtime!.version !== undefined) {
      ctx.err(
        '/runtime/version',
        `${rt.name} is built into the ${distro.name} image, so its version is the image's, not the profile's`,
        'remove runtime.version; pick the OS release (stream or channel) for the runtime version you need',
        CODES.unsupported,
      );
    } else if (rt.source !== 'builtin' && !packaging.package && !packaging.sysextUrl) {
      ctx.err(`/packaging/${rt.name}/${rt.source}`, `packaging.${rt.name}.${rt.source} names no package`, 'add its package: name', CODES.incomplete);
    }
  },
};

/** The version: the user's, else the distro's pinned default for that source, checked by the runtime's module. */
export const runtimeVersion: Rule = {
  name: 'runtime version',
  run(ctx) {
    const { rt, packaging } = ctx;
    ctx.versionRaw = rt.version ?? packaging?.version;
    ctx.versionPtr = rt.version !== undefined ? '/runtime/version' : `/packaging/${rt.name}/${rt.source}/version`;
    ctx.version = ctx.versionRaw !== undefined ? parseVersion(ctx.versionRaw) : undefined;
    const module = RUNTIME_RULES[rt.name];
    if (packaging && !ctx.version) {
      ctx.err(ctx.versionPtr, `runtime.version is not a ${rt.name} version`, `write a quoted version such as "${module?.versionExample ?? '1.0'}"`, CODES.badVersion);
    } else if (ctx.version && module) {
      module.checkVersion(ctx.version, ctx);
    }
  },
};

/** The runtime's own section (containerd:, crio:, docker: and criDockerd:), checked by its module. */
export const runtimeSection: Rule = {
  name: 'runtime section',
  run(ctx) {
    const module = RUNTIME_RULES[ctx.rt.name];
    const section = module?.section(ctx);
    if (section === 'refused') {
      ctx.incomplete = true;
      return;
    }
    if (!section) {
      ctx.incomplete = true;
      ctx.err('', `the ${ctx.rt.name} runtime layer is incomplete`, `extend a built-in DISTRO/${ctx.rt.name} profile`, CODES.incomplete);
      return;
    }
    ctx.section = section;
  },
};
