/**
 * @fileoverview What the rules (src/rules/) read the merged layers with: the Locator that finds
 * where a value came from, the version reader, and the guide's fixed prerequisites and defaults.
 */
import type { Diagnostic, Origin, Severity } from '../diagnostics.js';
import { originOf, type OriginMap } from './merge.js';
import { locate, type SourceLayer } from './source.js';
import type { VersionSpec } from './types.js';

/** The sysctls and modules the Kubernetes container-runtime guide requires, with their values. */
export const REQUIRED_SYSCTLS: Readonly<Record<string, string>> = {
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.ipv4.ip_forward': '1',
};
export const REQUIRED_MODULES: readonly string[] = ['overlay', 'br_netfilter'];

/** Finds where a merged value came from, as a diagnostic location and as a plan origin. */
export class Locator {
  constructor(
    private readonly origins: OriginMap,
    readonly chain: string,
    /** The outermost layer (the file the user named): where a whole-profile problem is reported. */
    private readonly entry?: SourceLayer,
  ) {}

  origin(pointer: string): Origin {
    const o = originOf(this.origins, pointer);
    return o ? { layer: o.layer.name, file: o.layer.file, pointer: o.pointer } : { layer: 'crinit', file: '(generated)', pointer };
  }

  /** Whether the value at pointer comes from one of crinit's built-in layers (not the user's). */
  isBuiltin(pointer: string): boolean {
    return originOf(this.origins, pointer)?.layer.id.startsWith('builtin:') ?? false;
  }

  diag(severity: Severity, code: string, pointer: string, message: string, hint?: string, key?: string): Diagnostic {
    const o = originOf(this.origins, pointer) ?? (this.entry ? { layer: this.entry, pointer: '' } : undefined);
    const where = o ? locate(o.layer, o.pointer, key) : {};
    return {
      severity,
      code,
      message,
      ...(hint ? { hint } : {}),
      ...(o ? { file: o.layer.file } : {}),
      ...where,
      chain: this.chain,
    };
  }
}

/** kubeadm's default service subnet (ClusterConfiguration.networking.serviceSubnet). */
export const DEFAULT_SERVICE_SUBNET = '10.96.0.0/12';

/**
 * versionAtLeast compares dotted numeric versions part by part, a missing part as 0: whether
 * `have` ("22.4", "4.1.0") is `need` or later.
 */
export function versionAtLeast(have: string, need: string): boolean {
  const h = have.split('.').map(Number);
  const n = need.split('.').map(Number);
  for (let i = 0; i < Math.max(h.length, n.length); i++) if ((h[i] ?? 0) !== (n[i] ?? 0)) return (h[i] ?? 0) > (n[i] ?? 0);
  return true;
}

/** parseVersion reads runtime.version; undefined when it names no containerd major. */
export function parseVersion(raw: string): VersionSpec | undefined {
  const plain = /^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?$/.exec(raw);
  if (plain) {
    const kind = plain[3] !== undefined ? 'release' : plain[2] !== undefined ? 'minor' : 'major';
    return { raw, kind, major: Number(plain[1]), ...(plain[2] !== undefined ? { minor: Number(plain[2]) } : {}) };
  }
  // An exact package version, possibly with an epoch: [E:]MAJOR.MINOR…[-~+]…
  const exact = /^(?:[0-9]+:)?([0-9]+)(?:\.([0-9]+))?/.exec(raw);
  if (!exact) return undefined;
  return { raw, kind: 'exact', major: Number(exact[1]), ...(exact[2] !== undefined ? { minor: Number(exact[2]) } : {}) };
}
