/**
 * @fileoverview CRI-O: its crio.conf.d drop-in and the registries.conf.d mirrors drop-in.
 */
import type { ProfileOf } from '../../profile/types.js';
import { file, handlerCheckStep, handlerInstall, mirrorFn, type At, type Header } from '../nodes.js';
import type { PlanFile } from '../types.js';
import type { RuntimeContributor, RuntimeParts } from './types.js';

/** A mirror URL as containers-registries.conf(5) writes it: host[:port][/path], insecure for http. */
function registriesMirror(url: string): { location: string; insecure: boolean } {
  const u = new URL(url);
  return { location: `${u.host}${u.pathname.replace(/\/+$/, '')}`, insecure: u.protocol === 'http:' };
}

/**
 * How CRI-O reports a handler, for its first-boot check: `crio config`, CRI-O's configuration
 * with every drop-in, has its table (cri-o internal/config/template.go writes one
 * `[crio.runtime.runtimes.NAME]` per runtime, its lines led by `# ` where crio comments out what it
 * prints).
 */
const HANDLER_REPORTED = [
  'if ! crio config 2>/dev/null | grep -Eq "^(# )?\\[crio\\.runtime\\.runtimes\\.$name\\]"; then echo "crinit: CRI-O\'s configuration has no $name handler (crio config)" >&2; exit 1; fi',
];

/**
 * CRI-O: a drop-in after the package's own 10-crio.conf with the cgroup manager (and
 * conmon_cgroup = "pod" exactly when it is cgroupfs) and the pause image, and a registries.conf.d
 * drop-in for mirrors. The package does not start crio, so the first start reads both; a
 * restart (a start here) is used, not a reload, which needs a running service.
 */
function parts(profile: ProfileOf<'cri-o'>, header: Header, at: At): RuntimeParts {
  const crio = profile.runtime.crio;
  const rt = profile.runtime;
  const files: PlanFile[] = [
    file(
      crio.dropinPath,
      'crio/crinit.conf.hbs',
      {
        ...header,
        cgroupManager: rt.cgroupDriver,
        cgroupfs: rt.cgroupDriver === 'cgroupfs',
        sandboxImage: rt.sandboxImage,
        // Extra handlers: an OCI runtime each, watched by the package's conmon, or a VM runtime
        // (Kata's shim, as Kata's CRI-O guide and kata-deploy write it); one of them may be the
        // default (else the package's own default stays: crun in CRI-O's packages).
        handlers: rt.handlers.map((h) => ({ name: h.name, kind: h.kind, binary: h.binary, root: `/run/${h.name}`, vm: h.kind === 'kata' })),
        ...(profile.packaging.conmonPath ? { monitorPath: profile.packaging.conmonPath } : {}),
        ...(rt.handlers.some((h) => h.default) ? { defaultHandler: rt.handlers.find((h) => h.default)!.name } : {}),
      },
      at('/runtime'),
    ),
  ];
  if (rt.registryMirrors.length > 0) {
    const registries = rt.registryMirrors.map(([host, urls]) => ({ prefix: host, mirrors: urls.map(registriesMirror) }));
    files.push(file(crio.registriesPath, 'crio/registries.conf.hbs', { ...header, registries }, at('/runtime/registryMirrors')));
  }
  // The handlers' needs, downloads and archives, before crio starts.
  const { earlySteps, installSteps, artifacts } = handlerInstall(rt.handlers, mirrorFn(profile.mirrors), profile.arch, crio.service, at);
  return {
    files,
    lateFiles: [],
    directories: [],
    // From a Flatcar image, crio first starts (upheld by the image) on the drop-ins Ignition wrote.
    services: [{ unit: crio.service, enable: profile.packaging.enable ?? true, restart: !profile.runtimeSysext, socket: crio.socket, origin: at('/crio/service') }],
    proxyUnits: [crio.service],
    installSteps,
    ...(earlySteps.length > 0 ? { earlySteps } : {}),
    ...(rt.handlers.length > 0 ? { finalSteps: [handlerCheckStep(rt.handlers, HANDLER_REPORTED, at('/runtime/handlers'))] } : {}),
    endpoint: `unix://${crio.socket}`,
    manySockets: false,
    crictlConfigPath: crio.crictlConfigPath,
    crictlOrigin: '/crio/crictlConfigPath',
    artifacts,
  };
}

export const crio: RuntimeContributor<'cri-o'> = { name: 'cri-o', parts };
