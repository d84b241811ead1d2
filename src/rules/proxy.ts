/** @fileoverview The proxy, and the addresses that must bypass it. */
import { CODES } from '../diagnostics.js';
import { DEFAULT_SERVICE_SUBNET } from '../profile/normalize.js';
import type { Rule } from './context.js';

export const proxy: Rule = {
  name: 'proxy',
  run(ctx) {
    const p = ctx.data.proxy;
    if (!p) return;
    const k8s = ctx.data.kubernetes ?? {};
    if (!p.http && !p.https) ctx.err('/proxy', 'proxy names neither an http nor an https proxy', 'set proxy.http and/or proxy.https, e.g. http://proxy.example.com:3128', CODES.required);
    // What must bypass it: the node itself, the metadata service, the cluster's pod and service
    // networks (kubeadm's default service subnet when none is set) and the API endpoint.
    const endpointHost = k8s.controlPlaneEndpoint?.replace(/:[0-9]+$/, '').replace(/^\[(.*)\]$/, '$1');
    const noProxy = [...(p.noProxy ?? []), 'localhost', '127.0.0.1', '::1', '169.254.169.254', ...(k8s.podSubnet ? [k8s.podSubnet] : []), k8s.serviceSubnet ?? DEFAULT_SERVICE_SUBNET, ...(endpointHost ? [endpointHost] : [])];
    if (!endpointHost) {
      ctx.warn('/proxy', CODES.proxyEndpoint, "the kubelet will reach the cluster's API server through the proxy: kubernetes.controlPlaneEndpoint is not set, so its host is not in NO_PROXY", "set kubernetes.controlPlaneEndpoint (kubeadm's controlPlaneEndpoint, e.g. k8s-api.example.com:6443), or add its host to proxy.noProxy");
    }
    if (ctx.firstBoot.warnsPlaintextProxy && p.https?.startsWith('http://')) {
      ctx.warn('/proxy/https', CODES.proxyPlaintext, 'Ignition warns about an http:// proxy for https:// resources ("insecure plaintext HTTP proxy")', 'the TLS of each download still runs end to end through the proxy (CONNECT); use an https:// proxy URL to silence the warning');
    }
    ctx.parts.proxy = { ...(p.http ? { http: p.http } : {}), ...(p.https ? { https: p.https } : {}), noProxy: noProxy.filter((x, i) => noProxy.indexOf(x) === i) };
  },
};
