/**
 * @fileoverview Mirantis Container Runtime: dockerd's daemon.json as for Docker Engine, and the
 * cri-dockerd that ships with it (cri-dockerd-ee), whose units are the package's own. Its CRI
 * socket is not known at render time: crictl.yaml and the kubelet fragment are written with a
 * stand-in word, and a first-boot step reads the socket from the socket unit (ListenStream=) and
 * puts it in them, and the package's own command line in the pause-image drop-in.
 */
import { CRI_WIRE_NAME, RUNTIME_DROPIN, UNIT_DIR } from '../../paths.js';
import type { ProfileOf } from '../../profile/types.js';
import { file, type At, type Header } from '../nodes.js';
import type { PlanFile } from '../types.js';
import { daemonJson } from './docker.js';
import type { RuntimeContributor, RuntimeParts } from './types.js';

/** The word that stands for the socket until crinit-cri-socket reads it on the node. */
const CRI_SOCKET_WORD = '@CRINIT_CRI_SOCKET@';

function parts(profile: ProfileOf<'mcr'>, header: Header, at: At): RuntimeParts {
  const docker = profile.runtime.docker;
  const mcr = profile.runtime.mcr;
  const rt = profile.runtime;
  const dropin = `${UNIT_DIR}/${mcr.criDockerdService}.d/${RUNTIME_DROPIN}`;
  const script = `${profile.distro.binDir}/${CRI_WIRE_NAME}`;
  const socketOrigin = at('/mcr/criDockerdSocketUnit');
  const files: PlanFile[] = [
    daemonJson(profile, at),
    file(script, 'mcr/crinit-cri-socket.sh.hbs', {}, socketOrigin, { mode: 0o755 }),
  ];
  // After the packages: the step that completes it runs once the package's unit is there.
  const lateFiles: PlanFile[] = [
    file(dropin, 'mcr/cri-dockerd-flags.conf.hbs', { ...header, sandboxImage: rt.sandboxImage }, at('/runtime/sandboxImage'), {
      dropin: { unit: mcr.criDockerdService, name: RUNTIME_DROPIN },
      phase: 'after-packages',
    }),
  ];
  const wire = (mode: 'wire' | 'wait'): string[] => [script, mode, '/', mcr.criDockerdSocketUnit, mcr.criDockerdService, dropin];
  return {
    files,
    lateFiles,
    directories: [],
    services: [
      { unit: docker.service, enable: profile.packaging.enable ?? true, restart: true, socket: docker.socket, origin: at('/docker/service') },
      // Started by cri-docker.service (Requires=), which reads the drop-in once restarted.
      { unit: mcr.criDockerdSocketUnit, enable: true, restart: false, origin: socketOrigin },
      { unit: mcr.criDockerdService, enable: true, restart: true, origin: at('/mcr/criDockerdService') },
    ],
    installSteps: [
      {
        id: 'read-cri-socket',
        action: { kind: 'run-command', argv: [...wire('wire'), docker.crictlConfigPath, profile.kubelet.configFragmentPath] },
        origin: socketOrigin,
      },
    ],
    finalSteps: [{ id: 'wait-for-cri-socket', action: { kind: 'run-command', argv: wire('wait') }, origin: socketOrigin }],
    // dockerd pulls; cri-dockerd asks dockerd to.
    proxyUnits: [docker.service],
    endpoint: `unix://${CRI_SOCKET_WORD}`,
    // Docker hosts expose containerd's socket too.
    manySockets: true,
    crictlConfigPath: docker.crictlConfigPath,
    crictlOrigin: '/docker/crictlConfigPath',
    artifacts: [],
  };
}

export const mcr: RuntimeContributor<'mcr'> = { name: 'mcr', parts };
