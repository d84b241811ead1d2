/**
 * @fileoverview Docker Engine with cri-dockerd (and any other dockerd: Mirantis Container
 * Runtime): daemon.json, cri-dockerd's units and its verified release download.
 */
import { RUNTIME_DROPIN, UNIT_DIR } from '../../paths.js';
import type { ProfileOf } from '../../profile/types.js';
import { file, mirrorFn, type At, type Header } from '../nodes.js';
import type { PlanFile } from '../types.js';
import type { RuntimeContributor, RuntimeParts } from './types.js';

/** The cri-dockerd release tarball for an architecture, and the binary inside it. */
export function criDockerdArtifact(profile: ProfileOf<'docker'>): { url: string; upstream: string; sha256: string; member: string } {
  const cri = profile.runtime.criDockerd;
  const upstream = cri.url.replace(/\{version\}/g, cri.version).replace(/\{arch\}/g, profile.arch);
  return {
    url: mirrorFn(profile.mirrors)(upstream),
    upstream,
    sha256: cri.sha256[profile.arch]!,
    member: 'cri-dockerd/cri-dockerd',
  };
}

/**
 * dockerd's daemon.json, for every runtime that is a dockerd (Docker Engine, Mirantis Container
 * Runtime): the cgroup driver, given there only (never also as a flag), and Docker Hub's mirrors,
 * the only registry dockerd mirrors. Docker built into an Ignition image keeps dockerd's own
 * default driver (systemd on cgroup v2, the only driver the rules allow there): its unit may pass
 * the option as a flag.
 */
export function daemonJson(profile: ProfileOf<'docker' | 'mcr'>, at: At): PlanFile {
  const rt = profile.runtime;
  const mirrors = rt.registryMirrors.find(([host]) => host === 'docker.io')?.[1] ?? [];
  const execOpt = rt.source === 'builtin' ? '' : `native.cgroupdriver=${rt.cgroupDriver}`;
  return file(profile.runtime.docker.daemonJsonPath, 'docker/daemon.json.hbs', { execOpt, mirrors }, at('/runtime/cgroupDriver'));
}

/**
 * Docker Engine with cri-dockerd. dockerd takes its cgroup driver from daemon.json only (dockerd
 * refuses an option given both there and as a flag); cri-dockerd runs from crinit's own units,
 * since only a release tarball exists for every distro, and a drop-in carries the values from
 * the profile (the pause image) so the units themselves never change.
 */
function parts(profile: ProfileOf<'docker'>, header: Header, at: At, srcPtr: string): RuntimeParts {
  const docker = profile.runtime.docker;
  const cri = profile.runtime.criDockerd;
  const rt = profile.runtime;
  const artifact = criDockerdArtifact(profile);
  const files: PlanFile[] = [
    daemonJson(profile, at),
    file(`${UNIT_DIR}/${cri.socketUnit}`, 'docker/cri-docker.socket.hbs', { ...header, socket: cri.socket, service: cri.service }, at('/criDockerd/socketUnit')),
    file(`${UNIT_DIR}/${cri.service}`, 'docker/cri-docker.service.hbs', { ...header, binary: cri.binary, socketUnit: cri.socketUnit, dockerService: docker.service }, at('/criDockerd/service')),
    file(
      `${UNIT_DIR}/${cri.service}.d/${RUNTIME_DROPIN}`,
      'docker/cri-docker-flags.conf.hbs',
      { ...header, binary: cri.binary, sandboxImage: rt.sandboxImage },
      at('/runtime/sandboxImage'),
      { dropin: { unit: cri.service, name: RUNTIME_DROPIN } },
    ),
  ];
  return {
    files,
    lateFiles: [],
    directories: [],
    services: [
      { unit: docker.service, enable: profile.packaging.enable ?? true, restart: rt.source !== 'builtin', socket: docker.socket, origin: at('/docker/service') },
      // Written before systemd starts on an Ignition distro: nothing to restart there.
      { unit: cri.socketUnit, enable: true, restart: rt.source !== 'builtin', origin: at('/criDockerd/socketUnit') },
      { unit: cri.service, enable: true, restart: rt.source !== 'builtin', socket: cri.socket, origin: at('/criDockerd/service') },
    ],
    installSteps: [
      {
        id: 'install-cri-dockerd',
        action: { kind: 'install-archive', url: artifact.url, sha256: artifact.sha256, arch: profile.arch, member: artifact.member, dest: cri.binary, neededBy: cri.service },
        origin: at('/criDockerd/version'),
      },
    ],
    // dockerd pulls; cri-dockerd asks dockerd to.
    proxyUnits: [docker.service],
    endpoint: `unix://${cri.socket}`,
    // Docker hosts expose containerd's socket too.
    manySockets: true,
    crictlConfigPath: docker.crictlConfigPath,
    crictlOrigin: '/docker/crictlConfigPath',
    artifacts: [{ kind: 'download', url: artifact.url, upstream: artifact.upstream, sha256: artifact.sha256, version: cri.version, origin: at('/criDockerd/version') }],
  };
}


export const docker: RuntimeContributor<'docker'> = { name: 'docker', parts };
