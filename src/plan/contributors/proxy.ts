/**
 * @fileoverview The proxy: crinit's own steps, the package manager, and every service that
 * fetches. The values are in one root-only file; drop-ins only point at it.
 */
import { APT_PROXY_PATH, PROXY_DROPIN, PROXY_ENV_PATH, UNIT_DIR } from '../../paths.js';
import type { RuntimeParts } from '../runtimes/types.js';
import { file } from '../nodes.js';
import type { PlanFile } from '../types.js';
import type { BuildContext } from './context.js';

export function proxyFiles({ profile, header, at, pm }: BuildContext, runtime: RuntimeParts): PlanFile[] {
  const proxy = profile.proxy;
  if (!proxy) return [];
  const origin = at('/proxy');
  const vars = [
    ...(proxy.http ? [['HTTP_PROXY', proxy.http], ['http_proxy', proxy.http]] : []),
    ...(proxy.https ? [['HTTPS_PROXY', proxy.https], ['https_proxy', proxy.https]] : []),
    ['NO_PROXY', proxy.noProxy.join(',')],
    ['no_proxy', proxy.noProxy.join(',')],
  ].map(([key, value]) => ({ key: key!, value: value! }));
  const files = [file(PROXY_ENV_PATH, 'proxy/env.hbs', { ...header, vars }, origin, { mode: 0o600 })];
  if (pm.proxy === 'apt-conf') {
    files.push(file(APT_PROXY_PATH, 'proxy/apt.conf.hbs', { ...header, http: proxy.http ?? '', https: proxy.https ?? '' }, origin, { mode: 0o600 }));
  }
  // kubelet gets its drop-in whether crinit installs it or not (kubeadm's packages installed
  // later, a sysext): a drop-in for a unit that does not exist yet is inert. And the OS's own
  // services that fetch (Fedora CoreOS: rpm-ostreed layers, zincati updates).
  for (const unit of [...runtime.proxyUnits, 'kubelet.service', ...pm.fetchingUnits]) {
    files.push(file(`${UNIT_DIR}/${unit}.d/${PROXY_DROPIN}`, 'proxy/dropin.conf.hbs', { ...header, envFile: PROXY_ENV_PATH }, origin, { dropin: { unit, name: PROXY_DROPIN } }));
  }
  return files;
}
