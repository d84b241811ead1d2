/**
 * @fileoverview Extra runtime handlers (runtime.handlers): each one's kind, installed the way the
 * distro's layer says (handlerPackaging), on a runtime that can run it. What a runtime or distro
 * cannot do is refused at the handler's line, with the reason; nothing is dropped.
 */
import { CODES } from '../diagnostics.js';
import { versionAtLeast } from '../profile/normalize.js';
import { joinPointer } from '../profile/source.js';
import type { HandlerKind, HandlerPackage, RuntimeHandler } from '../profile/types.js';
import type { Rule, RuleContext } from './context.js';
import { resolveRepo } from './repos.js';
import { RUNTIME_RULES } from './runtimes/index.js';

/** The kinds, and what each is called in messages. */
export const HANDLER_KINDS: Readonly<Record<HandlerKind, string>> = {
  crun: 'crun',
  runsc: "gVisor's runsc",
  kata: 'Kata Containers',
  nvidia: 'the NVIDIA container toolkit',
};

const isKind = (name: string): name is HandlerKind => Object.hasOwn(HANDLER_KINDS, name);

/**
 * What a kind needs on the node before anything is installed, checked first on first boot. crinit
 * installs no GPU driver: an NVIDIA node's image (or an earlier step of the user's) brings it,
 * and the loaded kernel module shows its version in this file (docs/sources.md).
 */
const HANDLER_NEEDS: Readonly<Partial<Record<HandlerKind, { path: string; what: string }>>> = {
  nvidia: { path: '/proc/driver/nvidia/version', what: 'the NVIDIA GPU driver' },
  // Kata runs each pod in a virtual machine: the node must offer KVM (bare metal, or a VM with
  // nested virtualization).
  kata: { path: '/dev/kvm', what: 'hardware virtualization (KVM: bare metal, or a VM with nested virtualization)' },
};

/** The kinds that take cdi: true. */
const CDI_KINDS: readonly HandlerKind[] = ['nvidia'];

/** A release URL from its template: {version}, {arch} (the project's name for it) and {file}. */
function releaseUrl(template: string, version: string, arch: string, file = ''): string {
  return template.replaceAll('{version}', version).replaceAll('{arch}', arch).replaceAll('{file}', file);
}

/**
 * The release files of a kind its project publishes as files (gVisor's runsc): the profile names
 * the release (version) and each file's sha512 for the machine's architecture, or the handler is
 * refused, naming what is missing. Nothing is fetched unchecked. Each file goes beside the binary.
 */
function releaseFiles(ctx: RuleContext, name: string, kind: HandlerKind, pk: HandlerPackage): RuntimeHandler['downloads'] | undefined {
  const ptr = joinPointer(['runtime', 'handlers', name]);
  const w = ctx.data.runtime!.handlers![name]!;
  const dl = pk.download!;
  const sums = w.sha512?.[ctx.arch] ?? {};
  const missing = dl.files.filter((f) => sums[f] === undefined);
  if (w.version === undefined || missing.length > 0) {
    ctx.err(
      w.version === undefined ? ptr : joinPointer(['runtime', 'handlers', name, 'sha512']),
      `${HANDLER_KINDS[kind]} is downloaded from its project's releases, and ${w.version === undefined ? 'the handler names no release (version)' : `the handler gives no sha512 for ${missing.join(', ')} on ${ctx.arch}`}`,
      `give runtime.handlers.${name}.version (the release) and .sha512.${ctx.arch}: {${dl.files.join(': …, ')}: …}, each from the release's FILE.sha512; crinit never installs an unchecked download`,
      CODES.incomplete,
    );
    return undefined;
  }
  const arch = dl.arch?.[ctx.arch] ?? ctx.arch;
  const dir = pk.binary!.slice(0, pk.binary!.lastIndexOf('/'));
  return dl.files.map((file) => ({
    url: releaseUrl(dl.url, w.version!, arch, file),
    sha512: sums[file]!,
    dest: `${dir}/${file}`,
  }));
}

/**
 * The release archive of a kind its project publishes as one archive of a whole tree (Kata's
 * kata-static): the profile names the release (version, at least the layout's first) and the
 * archive's sha256 for the machine's architecture, or the handler is refused, naming what is
 * missing. Nothing is unpacked unchecked.
 */
function releaseArchive(ctx: RuleContext, name: string, kind: HandlerKind, pk: HandlerPackage): RuntimeHandler['archive'] | undefined {
  const ptr = joinPointer(['runtime', 'handlers', name]);
  const w = ctx.data.runtime!.handlers![name]!;
  const ar = pk.archive!;
  const url = (version: string) => releaseUrl(ar.url, version, ar.arch?.[ctx.arch] ?? ctx.arch);
  if (w.version === undefined || !/^[0-9]+\.[0-9]+\.[0-9]+$/.test(w.version) || !versionAtLeast(w.version, ar.minVersion)) {
    ctx.err(
      w.version === undefined ? ptr : joinPointer(['runtime', 'handlers', name, 'version']),
      `${HANDLER_KINDS[kind]} is unpacked from its project's release archive, and ${w.version === undefined ? 'the handler names no release (version)' : `${JSON.stringify(w.version)} is not a release ${ar.minVersion} or later`}`,
      `give runtime.handlers.${name}.version: a release such as "${ar.minVersion}" (crinit installs ${ar.minVersion} and later: their archive puts the shim at ${pk.binary})`,
      w.version === undefined ? CODES.incomplete : CODES.unsupported,
    );
    return undefined;
  }
  const sha256 = w.sha256?.[ctx.arch];
  if (sha256 === undefined) {
    ctx.err(
      w.sha256 === undefined ? ptr : joinPointer(['runtime', 'handlers', name, 'sha256']),
      `${HANDLER_KINDS[kind]} is unpacked from its project's release archive, and the handler gives no sha256 for it on ${ctx.arch}`,
      `give runtime.handlers.${name}.sha256.${ctx.arch}: the sha256 of ${url(w.version)} as you vetted it (the release publishes no checksum file); crinit never unpacks an unchecked download`,
      CODES.incomplete,
    );
    return undefined;
  }
  return { url: url(w.version), sha256, root: ar.root };
}

export const handlers: Rule = {
  name: 'runtime handlers',
  run(ctx) {
    const written = ctx.data.runtime?.handlers ?? {};
    const names = Object.keys(written).sort();
    const module = RUNTIME_RULES[ctx.rt.name];
    const installed = ctx.data.handlerPackaging ?? {};
    // A kind the runtime's package brings itself (CRI-O's crun) needs nothing from the distro.
    const bundled = ctx.packaging?.bundledHandlers ?? {};
    ctx.handlerKinds = module?.handlersRefused ? [] : (module?.handlerKinds ?? []).filter((k) => bundled[k] !== undefined || (installed[k] && !installed[k]!.unsupported));
    const product = module?.product ?? ctx.rt.name;
    for (const k of Object.keys(HANDLER_KINDS) as HandlerKind[]) {
      if (ctx.handlerKinds.includes(k)) continue;
      ctx.handlerRefusals[k] = module?.handlersRefused
        ? `${product} takes no extra runtime handlers: ${module.handlersRefused}`
        : !module?.handlerKinds?.includes(k)
          ? module?.handlerReasons?.[k]
            ? `crinit does not configure ${HANDLER_KINDS[k]} for ${product}: ${module.handlerReasons[k]}`
            : `crinit does not configure ${HANDLER_KINDS[k]} for ${product} yet`
          : installed[k]?.unsupported
            ? `crinit does not install ${HANDLER_KINDS[k]} on ${ctx.distro.id}: ${installed[k]!.unsupported}`
            : `crinit does not install ${HANDLER_KINDS[k]} on ${ctx.distro.id}`;
    }
    if (names.length === 0) return;
    if (module?.handlersRefused) {
      ctx.err('/runtime/handlers', `${module.product} takes no extra runtime handlers: ${module.handlersRefused}`, 'remove runtime.handlers, or use containerd (extends: DISTRO/containerd)', CODES.unsupported);
      return;
    }
    const available = (Object.keys(installed) as HandlerKind[]).filter((k) => !installed[k]!.unsupported).sort();
    const defaults = names.filter((n) => written[n]!.default === true);
    if (defaults.length > 1) {
      for (const n of defaults) ctx.err(joinPointer(['runtime', 'handlers', n, 'default']), `more than one handler is the default: ${defaults.join(', ')}`, 'keep default: true on one handler', CODES.conflict);
    }
    const out: RuntimeHandler[] = [];
    for (const name of names) {
      const ptr = joinPointer(['runtime', 'handlers', name]);
      const w = written[name]!;
      const kind = w.kind ?? (isKind(name) ? name : undefined);
      if (name === 'runc') {
        ctx.err(ptr, 'runc is the runtime\'s own handler; it is always there and keeps its settings', 'name the extra handler something else, e.g. crun', CODES.conflict);
        continue;
      }
      if (!kind) {
        ctx.err(ptr, `the handler ${name} names no kind`, `add kind: ${Object.keys(HANDLER_KINDS).join(', ')}`, CODES.incomplete);
        continue;
      }
      // A kind this runtime or distro does not take: refused with the reason crinit list gives.
      const refused = ctx.handlerRefusals[kind];
      if (refused) {
        const configured = module?.handlerKinds?.includes(kind) === true;
        ctx.err(
          w.kind !== undefined ? joinPointer(['runtime', 'handlers', name, 'kind']) : ptr,
          refused,
          !configured
            ? `${product} handlers crinit configures: ${(module?.handlerKinds ?? []).join(', ') || 'none'}`
            : available.length > 0
              ? `on ${ctx.distro.id} crinit installs these handler kinds: ${available.join(', ')}`
              : `crinit installs no extra handler on ${ctx.distro.id}`,
          CODES.unsupported,
        );
        continue;
      }
      const pk: HandlerPackage = bundled[kind] !== undefined ? { binary: bundled[kind] } : installed[kind]!;
      if (!pk.binary) {
        ctx.err(joinPointer(['handlerPackaging', kind]), `handlerPackaging.${kind} names no binary`, `add handlerPackaging.${kind}.binary: the path the package installs it at, e.g. /usr/bin/${kind}`, CODES.incomplete);
        continue;
      }
      if (w.cdi !== undefined && !CDI_KINDS.includes(kind)) {
        ctx.err(joinPointer(['runtime', 'handlers', name, 'cdi']), `cdi: applies to ${CDI_KINDS.map((k) => HANDLER_KINDS[k]).join(', ')}, not to ${HANDLER_KINDS[kind]}`, `remove runtime.handlers.${name}.cdi`, CODES.unsupported);
        continue;
      }
      const cdiRefused = w.cdi === true ? module?.cdiRefused?.(ctx) : undefined;
      if (cdiRefused) {
        ctx.err(joinPointer(['runtime', 'handlers', name, 'cdi']), `${module?.product ?? ctx.rt.name} cannot hand devices to containers through CDI here: ${cdiRefused}`, 'remove cdi: true (the nvidia runtime hands the GPUs over itself), or use a runtime release that has CDI', CODES.unsupported);
        continue;
      }
      // A key that does nothing for this kind is refused, never ignored.
      const unused = (['version', 'sha512', 'sha256'] as const).filter((k) => w[k] !== undefined && !(k === 'version' ? pk.download || pk.archive : k === 'sha512' ? pk.download : pk.archive));
      if (unused.length > 0) {
        for (const k of unused) {
          const what = k === 'sha256' ? 'unpacks from one release archive (kata)' : k === 'sha512' ? 'downloads file by file (runsc)' : 'downloads (runsc, kata)';
          const here = pk.archive ? 'comes as one release archive, pinned by sha256' : pk.download ? 'comes file by file, each pinned by sha512' : pk.package ? `comes from the package ${pk.package}` : 'is not downloaded';
          ctx.err(joinPointer(['runtime', 'handlers', name, k]), `${k}: is for a handler crinit ${what}, and ${HANDLER_KINDS[kind]} ${here} here`, `remove runtime.handlers.${name}.${k}`, CODES.unsupported);
        }
        continue;
      }
      const downloads = pk.download ? releaseFiles(ctx, name, kind, pk) : [];
      if (downloads === undefined) continue;
      const archive = pk.archive ? releaseArchive(ctx, name, kind, pk) : undefined;
      if (pk.archive && !archive) continue;
      // A package from a repository of its own (NVIDIA's): that repository and its key, once.
      if (pk.repo && !ctx.repos.some((r) => r.id === pk.repo)) {
        const repo = resolveRepo(ctx, pk.repo, joinPointer(['handlerPackaging', kind, 'repo']), undefined, ptr, `runtime.handlers.${name}`);
        if (!repo) continue;
        ctx.repos.push(repo);
      }
      const needs = HANDLER_NEEDS[kind];
      out.push({
        name,
        kind,
        binary: pk.binary,
        ...(pk.package ? { package: pk.package } : {}),
        default: w.default === true,
        ...(downloads.length > 0 ? { downloads } : {}),
        ...(archive ? { archive } : {}),
        ...(pk.tools?.length ? { tools: pk.tools } : {}),
        ...(w.cdi === true ? { cdi: true } : {}),
        ...(needs ? { needs } : {}),
      });
    }
    ctx.handlers = out;
  },
};
