/**
 * @fileoverview containerd: config.toml (version 2 for 1.x, 3 for 2.x) written after the package
 * so that no package manager keeps its copy, hosts.toml per mirrored registry, and a drop-in for
 * a unit that reads its config from elsewhere.
 */
import { RUNTIME_DROPIN, UNIT_DIR } from '../../paths.js';
import type { Profile } from '../../profile/types.js';
import { joinPointer } from '../../profile/source.js';
import { file, registryServer, type At, type Header } from '../nodes.js';
import type { PlanFile } from '../types.js';
import type { RuntimeContributor, RuntimeParts } from './types.js';

/**
 * The containerd config.toml version: what the packaging says (a runtime built into an image
 * whose exact containerd crinit cannot know), else 2 for 1.x and 3 for 2.x.
 */
export function containerdConfigVersion(major: number, configured?: 2 | 3): 2 | 3 {
  return configured ?? (major >= 2 ? 3 : 2);
}

function parts(profile: Profile, header: Header, at: At, srcPtr: string): RuntimeParts {
  const ctrd = profile.containerd!;
  const rt = profile.runtime;
  const mirrors = rt.registryMirrors.map(([host, urls]) => ({ host, server: registryServer(host), urls }));
  const files = mirrors.map((m) =>
    file(`${ctrd.certsDir}/${m.host}/hosts.toml`, 'containerd/hosts.toml.hbs', { ...header, ...m }, at(joinPointer(['runtime', 'registryMirrors', m.host]))),
  );
  const lateFiles: PlanFile[] = [
    // containerd.io ships /etc/containerd/config.toml with `disabled_plugins = ["cri"]`, as a
    // dpkg conffile / rpm %config(noreplace). Writing ours after the package is installed
    // means no package manager can keep its copy over ours, on either family.
    file(
      ctrd.configPath,
      containerdConfigVersion(rt.version.major, profile.packaging.configVersion) === 3 ? 'containerd/config-v3.toml.hbs' : 'containerd/config-v2.toml.hbs',
      { ...header, systemdCgroup: rt.cgroupDriver === 'systemd', sandboxImage: rt.sandboxImage, certsDir: ctrd.certsDir },
      at('/runtime'),
      { phase: 'after-packages' },
    ),
  ];
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
    files,
    lateFiles,
    directories: [{ path: ctrd.certsDir, mode: 0o755, origin: at('/containerd/certsDir') }],
    // A built-in runtime starts on the config Ignition wrote before systemd ran: no restart.
    services: [
      { unit: ctrd.service, enable: profile.packaging.enable ?? true, restart: rt.source !== 'builtin', socket: ctrd.socket, origin: at('/containerd/service') },
    ],
    proxyUnits: [ctrd.service],
    installSteps: [],
    endpoint: `unix://${ctrd.socket}`,
    manySockets: false,
    crictlConfigPath: ctrd.crictlConfigPath,
    crictlOrigin: '/containerd/crictlConfigPath',
    artifacts: [],
  };
}


export const containerd: RuntimeContributor = {
  name: 'containerd',
  parts,
  facts: (p) => ({ configVersion: containerdConfigVersion(p.runtime.version.major, p.packaging.configVersion) }),
};
