/**
 * @fileoverview What kubelet and crictl need to agree with the runtime: crictl.yaml and the
 * KubeletConfiguration fragment with the one endpoint and cgroup driver; with Kubernetes, the
 * kubelet defaults file that passes --config-dir, kubelet's service and swap kept off.
 */
import type { RuntimeParts } from '../runtimes/types.js';
import { file, handlerLabel } from '../nodes.js';
import type { PlanFile, PlanMask, PlanService } from '../types.js';
import type { BuildContext } from './context.js';


/** crictl.yaml and the kubelet fragment: written before the packages, whatever installs kubelet. */
export function criClientFiles({ profile, header, at }: BuildContext, runtime: RuntimeParts): PlanFile[] {
  const k8s = profile.kubernetes;
  return [
    file(runtime.crictlConfigPath, 'crictl.yaml.hbs', { ...header, endpoint: runtime.endpoint }, at(runtime.crictlOrigin)),
    file(
      profile.kubelet.configFragmentPath,
      'kubelet-config.yaml.hbs',
      {
        ...header,
        cgroupDriver: profile.runtime.cgroupDriver,
        endpoint: runtime.endpoint,
        manySockets: runtime.manySockets,
        failCgroupV1Set: k8s?.failCgroupV1 !== undefined,
        failCgroupV1: k8s?.failCgroupV1 ?? true,
      },
      at('/runtime/cgroupDriver'),
    ),
  ];
}

/**
 * With Kubernetes: kubelet reads the fragment's directory (--config-dir) through the variable its
 * package's unit passes on. The package ships that file, so it is placed after the packages.
 * kubelet is enabled, not started: it restarts in a loop until kubeadm init or join configures it
 * (from the Flatcar image, the image's own Upholds= drop-in starts it). kubelet refuses to run with
 * swap on by default; swap.target masked keeps swap units from coming back.
 */
export function kubeletNodes({ profile, header, at, k8sOrigin }: BuildContext): { files: PlanFile[]; services: PlanService[]; masks: PlanMask[] } {
  const k8s = profile.kubernetes;
  if (!k8s) return { files: [], services: [], masks: [] };
  return {
    files: [
      file(
        k8s.kubeletDefaultsPath,
        'kubernetes/kubelet-defaults.hbs',
        {
          ...header,
          configDir: profile.kubelet.configFragmentPath.replace(/\/[^/]*$/, ''),
          ...(profile.runtime.handlers.length > 0 ? { nodeLabels: profile.runtime.handlers.map((h) => `${handlerLabel(h.name)}=true`).join(',') } : {}),
        },
        at('/kubernetes/kubeletDefaultsPath'),
        { phase: 'after-packages' },
      ),
    ],
    services: [{ unit: 'kubelet.service', enable: !k8s.sysext, restart: false, origin: k8sOrigin }],
    masks: [{ unit: 'swap.target', origin: k8sOrigin }],
  };
}
