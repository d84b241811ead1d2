/**
 * @fileoverview Extra runtime handlers (runtime.handlers): each one's kind, installed the way the
 * distro's layer says (handlerPackaging), on a runtime that can run it. What a runtime or distro
 * cannot do is refused at the handler's line, with the reason; nothing is dropped.
 */
import { CODES } from '../diagnostics.js';
import { joinPointer } from '../profile/source.js';
import type { HandlerKind, RuntimeHandler } from '../profile/types.js';
import type { Rule } from './context.js';
import { RUNTIME_RULES } from './runtimes/index.js';

/** The kinds, and what each is called in messages. */
export const HANDLER_KINDS: Readonly<Record<HandlerKind, string>> = {
  crun: 'crun',
  runsc: "gVisor's runsc",
  kata: 'Kata Containers',
  nvidia: 'the NVIDIA container toolkit',
};

const isKind = (name: string): name is HandlerKind => Object.hasOwn(HANDLER_KINDS, name);

export const handlers: Rule = {
  name: 'runtime handlers',
  run(ctx) {
    const written = ctx.data.runtime?.handlers ?? {};
    const names = Object.keys(written).sort();
    const module = RUNTIME_RULES[ctx.rt.name];
    const installed = ctx.data.handlerPackaging ?? {};
    ctx.handlerKinds = module?.handlersRefused ? [] : (module?.handlerKinds ?? []).filter((k) => installed[k]);
    if (names.length === 0) return;
    if (module?.handlersRefused) {
      ctx.err('/runtime/handlers', `${module.product} takes no extra runtime handlers: ${module.handlersRefused}`, 'remove runtime.handlers, or use containerd (extends: DISTRO/containerd)', CODES.unsupported);
      return;
    }
    const available = (Object.keys(installed) as HandlerKind[]).sort();
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
      if (!module?.handlerKinds?.includes(kind)) {
        ctx.err(
          w.kind !== undefined ? joinPointer(['runtime', 'handlers', name, 'kind']) : ptr,
          `crinit does not configure ${HANDLER_KINDS[kind]} for ${module?.product ?? ctx.rt.name} yet`,
          `${module?.product ?? ctx.rt.name} handlers crinit configures: ${(module?.handlerKinds ?? []).join(', ') || 'none'}`,
          CODES.unsupported,
        );
        continue;
      }
      const pk = installed[kind];
      if (!pk) {
        ctx.err(
          w.kind !== undefined ? joinPointer(['runtime', 'handlers', name, 'kind']) : ptr,
          `crinit does not install ${HANDLER_KINDS[kind]} on ${ctx.distro.id}`,
          available.length > 0 ? `on ${ctx.distro.id} crinit installs these handler kinds: ${available.join(', ')}` : `crinit installs no extra handler on ${ctx.distro.id}`,
          CODES.unsupported,
        );
        continue;
      }
      if (!pk.binary) {
        ctx.err(joinPointer(['handlerPackaging', kind]), `handlerPackaging.${kind} names no binary`, `add handlerPackaging.${kind}.binary: the path the package installs it at, e.g. /usr/bin/${kind}`, CODES.incomplete);
        continue;
      }
      out.push({ name, kind, binary: pk.binary, ...(pk.package ? { package: pk.package } : {}), default: w.default === true });
    }
    ctx.handlers = out;
  },
};
