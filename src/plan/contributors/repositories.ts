/**
 * @fileoverview Repositories, each as plain files with its key pinned: no cloud-init module reads
 * a key (Debian's cloud images have no gpg for the apt module to dearmor with, and cloud-init 22.x
 * runs yum_repos only on the distros of its own list). An armored key is written beside its
 * repository; a key pinned by fingerprint only is installed by its fetch-key step once checked,
 * and on apt its source waits for it (phase after-key).
 */
import { FETCH_KEY_NAME } from '../../paths.js';
import { joinPointer } from '../../profile/source.js';
import { repoKeyPath, repositoryFile } from '../../os/package-managers.js';
import { file } from '../nodes.js';
import type { PlanArtifact, PlanFile, PlanRepo } from '../types.js';
import type { BuildContext } from './context.js';

/** What dnf keeps out of the Kubernetes repository unless an install names it (the kubeadm guide's exclude=). */
export const KUBERNETES_EXCLUDE = ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'];

export interface RepositoryNodes {
  readonly repos: PlanRepo[];
  readonly artifacts: PlanArtifact[];
  /** The key fetcher, once, when a key is pinned by fingerprint only and it is a file. */
  readonly fetcher?: PlanFile;
  readonly files: PlanFile[];
  /** The sources placed only once their key is fetched, by repository. */
  readonly afterKey: ReadonlyMap<string, string>;
}

export function repositoryNodes({ profile, name, at, crinit, mirror, pm, firstBoot }: BuildContext): RepositoryNodes {
  const k8s = profile.kubernetes;
  const artifacts: PlanArtifact[] = [];
  const repos = profile.repos.map((r): PlanRepo => {
    const origin = at(r.pointers?.repo ?? joinPointer(['repos', r.id]));
    const keyUrl = r.key.url ? mirror(r.key.url) : undefined;
    const repo: PlanRepo = {
      id: r.id,
      description: r.description ?? r.id,
      key: { name: r.key.name, fingerprint: r.key.fingerprint, ...(r.key.armored ? { armored: r.key.armored } : { url: keyUrl! }) },
      ...(r.apt ? { apt: { ...r.apt, uri: mirror(r.apt.uri) } } : {}),
      ...(r.yum ? { yum: { baseurl: mirror(r.yum.baseurl), ...(r.yum.signed ? { signed: r.yum.signed } : {}) } } : {}),
      ...(k8s && r.id === k8s.repo ? { exclude: KUBERNETES_EXCLUDE } : {}),
      origin,
    };
    const upstream = r.apt?.uri ?? r.yum?.baseurl ?? '';
    artifacts.push({ kind: 'repository', id: r.id, url: repo.apt?.uri ?? repo.yum?.baseurl ?? '', upstream, fingerprint: r.key.fingerprint, origin });
    if (r.key.url) artifacts.push({ kind: 'key', url: keyUrl!, upstream: r.key.url, fingerprint: r.key.fingerprint, origin: at(r.pointers?.key ?? joinPointer(['keys', r.key.name])) });
    return repo;
  });
  const files: PlanFile[] = [];
  const afterKey = new Map<string, string>();
  for (const r of repos) {
    const keyPath = repoKeyPath(pm.name, r.id);
    if (r.key.armored && pm.repositories) files.push({ ...file(keyPath, '', {}, r.origin), source: { inline: r.key.armored } });
    const source = repositoryFile(pm.name, r, name);
    if (source) {
      files.push(file(source.path, source.template, { ...source.context, chain: profile.chain }, r.origin, source.afterKey ? { phase: 'after-key' } : {}));
      if (source.afterKey) afterKey.set(r.id, source.path);
    }
  }
  const fetcher =
    firstBoot.keyFetcher === 'python-script' && repos.some((r) => r.key.url)
      ? file(`${profile.distro.binDir}/${FETCH_KEY_NAME}`, 'crinit-fetch-key.py.hbs', {}, crinit('the key fetcher, crinit-fetch-key'), { mode: 0o755 })
      : undefined;
  return { repos, artifacts, ...(fetcher ? { fetcher } : {}), files, afterKey };
}
