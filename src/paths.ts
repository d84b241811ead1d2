/**
 * @fileoverview The paths crinit owns on a node, in one place: the rules refuse user files that
 * would take them over, the plan writes some, and the cloud-init backend writes the rest.
 */

/** Kernel modules to load at every boot. */
export const MODULES_LOAD_PATH = '/etc/modules-load.d/crinit-k8s.conf';
/** Kernel settings to apply at every boot. */
export const SYSCTL_PATH = '/etc/sysctl.d/99-crinit-k8s.conf';
/** First-boot records: steps, failed, done, and staged files. */
export const STATE_DIR = '/var/lib/crinit';
/** The first-boot step runner. */
export const STEP_BIN = '/usr/local/sbin/crinit-step';

/** octalMode writes a file mode the way cloud-init, install(1) and humans read it: "0644". */
export function octalMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
