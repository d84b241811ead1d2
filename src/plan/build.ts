/**
 * @fileoverview Building the NodePlan from a normalized Profile. Each contributor
 * (src/plan/contributors/, and the runtime's own in src/plan/runtimes/) adds the nodes of one
 * concern; the first-boot steps are then derived from the nodes, in one fixed order, so every
 * backend sees the same sequence.
 */
import type { Origin } from '../diagnostics.js';
import { FIRST_BOOT } from '../os/first-boot.js';
import { packageManager } from '../os/package-managers.js';
import { STEP_NAME } from '../paths.js';
import type { Locator } from '../profile/normalize.js';
import type { Profile } from '../profile/types.js';
import type { BuildContext } from './contributors/context.js';
import { extensionNodes } from './contributors/extensions.js';
import { kernelNodes } from './contributors/kernel.js';
import { criClientFiles, kubeletNodes } from './contributors/kubelet.js';
import { machineryNodes } from './contributors/machinery.js';
import { kubernetesPackages, runtimePackages } from './contributors/packages.js';
import { proxyFiles } from './contributors/proxy.js';
import { repositoryNodes } from './contributors/repositories.js';
import { firstBootSteps } from './contributors/steps.js';
import { userFiles } from './contributors/user.js';
import { file, imageRegistry, mirrorFn } from './nodes.js';
import { runtimeContributor } from './runtimes/index.js';
import type { NodePlan, PlanArtifact, PlanFile, PlanMask, PlanPackage, PlanService } from './types.js';
export { imageRegistry, mirrorFn, registryServer } from './nodes.js';

/** buildPlan turns a Profile into a NodePlan. It does not render file contents. */
export function buildPlan(original: Profile, name: string, L: Locator): NodePlan {
  const at = (pointer: string): Origin => L.origin(pointer);
  const mirror = mirrorFn(original.mirrors);
  // Everything below sees the pause image as the node pulls it: through the mirrors.
  const profile: Profile = { ...original, runtime: { ...original.runtime, sandboxImage: mirror(original.runtime.sandboxImage) } };
  const rt = profile.runtime;
  const srcPtr = `/packaging/${rt.name}/${rt.source}`;
  const ctx: BuildContext = {
    original,
    profile,
    name,
    header: { profile: name, chain: profile.chain },
    L,
    at,
    crinit: (what) => ({ layer: 'crinit', file: '(generated)', pointer: what }),
    mirror,
    pm: packageManager(profile.distro.packageManager),
    firstBoot: FIRST_BOOT[profile.distro.backend],
    srcPtr,
    k8sOrigin: at('/kubernetes/version'),
    versionOrigin: at(rt.version.raw === profile.packaging.version ? `${srcPtr}/version` : '/runtime/version'),
  };

  const kernel = kernelNodes(ctx);
  const repositories = repositoryNodes(ctx);
  const { packages, conflicts } = runtimePackages(ctx);
  const k8sPackages = kubernetesPackages(ctx);
  const runtime = runtimeContributor(profile).parts(ctx.header, at, srcPtr);
  const kubelet = kubeletNodes(ctx);
  const extensions = extensionNodes(ctx);

  const files: PlanFile[] = [
    ...(repositories.fetcher ? [repositories.fetcher] : []),
    // crinit's own first-boot machinery: every backend runs each step through it.
    file(`${profile.distro.binDir}/${STEP_NAME}`, 'crinit-step.sh.hbs', {}, ctx.crinit('the first-boot step runner, crinit-step'), { mode: 0o755 }),
    ...kernel.files,
    ...repositories.files,
    ...runtime.files,
    ...criClientFiles(ctx, runtime),
    ...runtime.lateFiles,
    ...kubelet.files,
    ...proxyFiles(ctx, runtime),
    ...userFiles(ctx),
  ];
  const services: PlanService[] = [...runtime.services, ...kubelet.services];
  const masks: PlanMask[] = [...(profile.packaging.mask ?? []).map((unit, i) => ({ unit, origin: at(`${srcPtr}/mask/${i}`) })), ...kubelet.masks];
  const directories = runtime.directories;
  const steps = firstBootSteps(ctx, { modules: kernel.modules, repos: repositories.repos, afterKey: repositories.afterKey, packages, conflicts, k8sPackages, files, directories, masks, services, runtime });

  return {
    target: { distro: profile.distro, runtime: rt.name, source: rt.source },
    name,
    chain: profile.chain,
    repos: repositories.repos,
    packages,
    directories,
    files,
    modules: kernel.modules,
    sysctls: kernel.sysctls,
    services,
    masks,
    links: extensions.links,
    downloads: extensions.downloads,
    ignitionSnippets: profile.ignition.snippets.map((path, i) => ({ path, origin: at(`/ignition/snippets/${i}`) })),
    ...(profile.ignition.version ? { ignitionVersion: { value: profile.ignition.version, origin: at('/ignition/version') } } : {}),
    kubelet: { cgroupDriver: rt.cgroupDriver, runtimeEndpoint: runtime.endpoint, origin: at('/runtime/cgroupDriver') },
    ...(profile.proxy ? { proxy: { ...profile.proxy, origin: at('/proxy') } } : {}),
    artifacts: [
      ...withPackages([...repositories.artifacts, ...extensions.artifacts], packages, k8sPackages, profile),
      ...runtime.artifacts,
      sandboxArtifact(original, profile, at(!!profile.kubernetes && L.isBuiltin('/runtime/sandboxImage') ? '/kubernetes/pauseImages' : '/runtime/sandboxImage')),
    ],
    steps,
    machinery: machineryNodes(ctx, steps),
  };
}

/** Each repository artifact, with the packages (and version pins) the plan takes from it. */
function withPackages(artifacts: PlanArtifact[], runtimePackages: readonly PlanPackage[], k8sPackages: readonly PlanPackage[], profile: Profile): PlanArtifact[] {
  const pin = (p: PlanPackage): string => (p.version ? `${p.name} ${p.epoch ? `${p.epoch}:` : ''}${p.version.raw}${p.version.kind === 'exact' ? '' : '.*'}` : p.name);
  return artifacts.map((a) => {
    if (a.kind !== 'repository') return a;
    const from = a.id === profile.kubernetes?.repo ? k8sPackages : a.id === profile.packaging.repo ? runtimePackages.filter((p) => !profile.packaging.requires?.includes(p.name)) : [];
    return from.length > 0 ? { ...a, packages: from.map(pin) } : a;
  });
}

/** The pause image as an artifact: where the node pulls it, through the runtime's registry mirrors. */
function sandboxArtifact(original: Profile, profile: Profile, origin: Origin): PlanArtifact {
  const ref = profile.runtime.sandboxImage;
  const registry = imageRegistry(ref);
  const mirrors = profile.runtime.registryMirrors.find(([host]) => host === registry)?.[1] ?? profile.runtime.registryMirrors.find(([host]) => host === '_default')?.[1];
  return {
    kind: 'image',
    url: ref,
    upstream: original.runtime.sandboxImage,
    ...(mirrors ? { registryMirrors: mirrors } : {}),
    origin,
  };
}


