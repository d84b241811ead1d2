/**
 * @fileoverview The paths crinit owns on a node, in one place. Each one it writes is a plan node
 * (src/plan/build.ts), so one check finds a user file that would take it over.
 */

/** Kernel modules to load at every boot. */
export const MODULES_LOAD_PATH = '/etc/modules-load.d/crinit-k8s.conf';
/** Kernel settings to apply at every boot. */
export const SYSCTL_PATH = '/etc/sysctl.d/99-crinit-k8s.conf';
/** First-boot records: steps, failed, done, and staged files. */
export const STATE_DIR = '/var/lib/crinit';
/** Where crinit's first-boot scripts go unless the distro names another place (distro.binDir). */
export const DEFAULT_BIN_DIR = '/usr/local/sbin';
/** The first-boot step runner, in the distro's binDir. */
export const STEP_NAME = 'crinit-step';
/** The key fetcher of repositories whose key is pinned by fingerprint only (cloud-init distros). */
export const FETCH_KEY_NAME = 'crinit-fetch-key';
/** Reads a runtime's CRI socket on the node, from its socket unit, and writes it where it is needed (MCR). */
export const CRI_WIRE_NAME = 'crinit-cri-socket';
/** Ignition backends: the script that runs the steps Ignition cannot express, and its unit. */
export const FIRSTBOOT_NAME = 'crinit-firstboot';
export const FIRSTBOOT_UNIT = 'crinit-firstboot.service';
export const UNIT_DIR = '/etc/systemd/system';
/** The drop-in that gives a service the proxy environment. */
export const PROXY_DROPIN = '20-crinit-proxy.conf';
/** The proxy environment of crinit's own first-boot steps (it may hold credentials: mode 0600). */
export const PROXY_ENV_PATH = `${STATE_DIR}/proxy.env`;
/** Left by the planned reboot into layered packages: the next boot resumes the same run. */
export const RESUME_MARKER = `${STATE_DIR}/resume`;
/** The drop-in that points a runtime's unit at crinit's config file. */
export const RUNTIME_DROPIN = '10-crinit-config.conf';
/** apt's proxy setting. */
export const APT_PROXY_PATH = '/etc/apt/apt.conf.d/90crinit-proxy.conf';

/** octalMode writes a file mode the way cloud-init, install(1) and humans read it: "0644". */
export function octalMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
