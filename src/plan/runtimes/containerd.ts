/**
 * @fileoverview containerd: config.toml (version 2 for 1.x, 3 for 2.x) written after the package
 * so that no package manager keeps its copy, hosts.toml per mirrored registry, and a drop-in for
 * a unit that reads its config from elsewhere.
 */
import { RUNTIME_DROPIN, UNIT_DIR } from '../../paths.js';
import type { HandlerKind, ProfileOf } from '../../profile/types.js';
import { joinPointer } from '../../profile/source.js';
import { file, mirrorFn, registryServer, type At, type Header } from '../nodes.js';
import type { PlanArtifact, PlanFile, PlanStep } from '../types.js';
import type { RuntimeContributor, RuntimeParts } from './types.js';

/**
 * The containerd config.toml version: what the packaging says (a runtime built into an image
 * whose exact containerd crinit cannot know), else 2 for 1.x and 3 for 2.x.
 */
export function containerdConfigVersion(major: number, configured?: 2 | 3): 2 | 3 {
  return configured ?? (major >= 2 ? 3 : 2);
}

/**
 * The first-boot check of each extra handler: its binary is there, and the runtime reports it
 * (crictl info, from the running containerd, where crictl is installed; else containerd's
 * merged configuration).
 */
/**
 * How containerd runs each handler kind it takes: the shim (runtime_type) and its options. runc's
 * v2 shim runs another OCI runtime binary (BinaryName) with the cgroup driver; gVisor's shim
 * (containerd-shim-runsc-v1, beside runsc) reads its options from a file (ConfigPath) —
 * google/gvisor g3doc/user_guide/containerd/configuration.md.
 */
export const HANDLER_SHIMS: Readonly<Partial<Record<HandlerKind, { runtimeType: string; runcShim?: true; runsc?: true }>>> = {
  crun: { runtimeType: 'io.containerd.runc.v2', runcShim: true },
  runsc: { runtimeType: 'io.containerd.runsc.v1', runsc: true },
};

const CHECK_HANDLERS = [
  'set -eu',
  'while [ "$#" -ge 2 ]; do',
  '  name=$1; bin=$2; shift 2',
  '  if [ ! -x "$bin" ]; then echo "crinit: the $name handler\'s binary $bin is not installed" >&2; exit 1; fi',
  '  if command -v crictl >/dev/null 2>&1; then',
  '    if ! crictl info | grep -qF "\\"$name\\": {"; then echo "crinit: containerd does not report the $name handler (crictl info)" >&2; exit 1; fi',
  '  elif ! containerd config dump | grep -q "runtimes\\.$name\\]"; then',
  '    echo "crinit: containerd\'s configuration has no $name handler (containerd config dump)" >&2; exit 1',
  '  fi',
  'done',
].join('\n');

function parts(profile: ProfileOf<'containerd'>, header: Header, at: At, srcPtr: string): RuntimeParts {
  const ctrd = profile.runtime.containerd;
  const rt = profile.runtime;
  const mirrors = rt.registryMirrors.map(([host, urls]) => ({ host, server: registryServer(host), urls }));
  const files = mirrors.map((m) =>
    file(`${ctrd.certsDir}/${m.host}/hosts.toml`, 'containerd/hosts.toml.hbs', { ...header, ...m }, at(joinPointer(['runtime', 'registryMirrors', m.host]))),
  );
  const v3 = containerdConfigVersion(rt.version.major, profile.packaging.configVersion) === 3;
  // Extra handlers, for RuntimeClasses: a runc v2 shim with its own binary (crun), or gVisor's own
  // shim reading its options file (runsc).
  const runscConfig = `${ctrd.configPath.replace(/\/[^/]*$/, '')}/runsc.toml`;
  // The rules let through only the kinds containerd's rules module lists, each one in the table.
  const handlers = rt.handlers.map((h) => ({ name: h.name, kind: h.kind, binary: h.binary, ...HANDLER_SHIMS[h.kind]!, ...(HANDLER_SHIMS[h.kind]!.runsc ? { configPath: runscConfig } : {}) }));
  const defaultHandler = rt.handlers.find((h) => h.default)?.name;
  // containerd 2.x merges an imported file into config.toml table by table, so the handlers go in
  // a drop-in of crinit's own, beside any other tool's. 1.x replaces a whole plugin
  // section from an import (its sandbox image and runc with it): there they stay in config.toml.
  const dropinDir = `${ctrd.configPath.replace(/\/[^/]*$/, '')}/conf.d`;
  const handlersInDropin = v3 && handlers.length > 0;
  const lateFiles: PlanFile[] = [
    // containerd.io ships /etc/containerd/config.toml with `disabled_plugins = ["cri"]`, as a
    // dpkg conffile / rpm %config(noreplace). Writing ours after the package is installed
    // means no package manager can keep its copy over ours, on either family.
    file(
      ctrd.configPath,
      v3 ? 'containerd/config-v3.toml.hbs' : 'containerd/config-v2.toml.hbs',
      {
        ...header,
        systemdCgroup: rt.cgroupDriver === 'systemd',
        sandboxImage: rt.sandboxImage,
        certsDir: ctrd.certsDir,
        ...(defaultHandler ? { defaultHandler } : {}),
        ...(handlersInDropin ? { imports: `${dropinDir}/*.toml` } : { handlers }),
      },
      at('/runtime'),
      { phase: 'after-packages' },
    ),
  ];
  // gVisor's shim options: runsc takes cgroup paths in systemd's slice:prefix:name form, as
  // containerd passes them with the systemd driver, only with systemd-cgroup set.
  const runsc = handlers.some((h) => h.runsc);
  const extraFiles: PlanFile[] = runsc ? [file(runscConfig, 'containerd/runsc.toml.hbs', { ...header, systemdCgroup: rt.cgroupDriver === 'systemd' }, at('/runtime/handlers'))] : [];
  // Handlers its project publishes as files: each downloaded and checked before containerd restarts.
  const installSteps: PlanStep[] = rt.handlers.flatMap((h) =>
    (h.downloads ?? []).map((d) => ({
      id: `install-${h.name}-${d.dest.slice(d.dest.lastIndexOf('/') + 1)}`,
      action: { kind: 'install-binary' as const, url: mirrorFn(profile.mirrors)(d.url), sha512: d.sha512, arch: profile.arch, dest: d.dest, neededBy: ctrd.service },
      origin: at(joinPointer(['runtime', 'handlers', h.name, 'version'])),
    })),
  );
  const artifacts: PlanArtifact[] = rt.handlers.flatMap((h) =>
    (h.downloads ?? []).map((d) => ({ kind: 'download' as const, url: mirrorFn(profile.mirrors)(d.url), upstream: d.url, sha512: d.sha512, origin: at(joinPointer(['runtime', 'handlers', h.name, 'version'])) })),
  );
  if (handlersInDropin) {
    lateFiles.push(
      file(`${dropinDir}/10-crinit-handlers.toml`, 'containerd/handlers-v3.toml.hbs', { ...header, handlers, systemdCgroup: rt.cgroupDriver === 'systemd' }, at('/runtime/handlers'), { phase: 'after-packages' }),
    );
  }
  // A unit that reads its config from elsewhere (Flatcar's, from /usr/share) is pointed at ours.
  if (profile.packaging.execStart) {
    lateFiles.push(
      file(
        `${UNIT_DIR}/${ctrd.service}.d/${RUNTIME_DROPIN}`,
        'containerd/use-config.conf.hbs',
        { ...header, execStart: profile.packaging.execStart, configPath: ctrd.configPath },
        at(`${srcPtr}/execStart`),
        { dropin: { unit: ctrd.service, name: RUNTIME_DROPIN } },
      ),
    );
  }
  return {
    files: [...files, ...extraFiles],
    lateFiles,
    directories: [{ path: ctrd.certsDir, mode: 0o755, origin: at('/containerd/certsDir') }],
    // A built-in runtime starts on the config Ignition wrote before systemd ran: no restart.
    services: [
      { unit: ctrd.service, enable: profile.packaging.enable ?? true, restart: rt.source !== 'builtin', socket: ctrd.socket, origin: at('/containerd/service') },
    ],
    proxyUnits: [ctrd.service],
    installSteps,
    ...(handlers.length > 0
      ? { finalSteps: [{ id: 'check-runtime-handlers', action: { kind: 'run-command' as const, argv: ['sh', '-c', CHECK_HANDLERS, 'sh', ...rt.handlers.flatMap((h) => [h.name, h.binary])] }, origin: at('/runtime/handlers') }] }
      : {}),
    endpoint: `unix://${ctrd.socket}`,
    manySockets: false,
    crictlConfigPath: ctrd.crictlConfigPath,
    crictlOrigin: '/containerd/crictlConfigPath',
    artifacts,
  };
}


export const containerd: RuntimeContributor<'containerd'> = {
  name: 'containerd',
  parts,
  facts: (p) => ({ configVersion: containerdConfigVersion(p.runtime.version.major, p.packaging.configVersion) }),
};
