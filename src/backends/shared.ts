/**
 * @fileoverview What both backends share when they lower plan steps: the shape of one step's
 * command line, the steps whose command is the same everywhere, and the size report type. The
 * backends import this and the plan's types, never each other.
 */

/** One step's command line before it is wrapped in crinit-step (a runcmd entry, a line of crinit-firstboot). */
export interface Line {
  readonly id: string;
  readonly argv: readonly string[];
  readonly retries?: number;
  readonly delay?: number;
  /** Ignition: the step asks for a reboot (into layered packages) once it has passed. */
  readonly reboot?: boolean;
}

/**
 * DISABLE_SWAP turns swap off now and for good: swapoff, then every active swap line of
 * /etc/fstab commented out (a copy is kept as fstab.crinit). swap.target is masked by its own
 * step, as kubespray does, so no swap unit is pulled in at boot.
 */
const DISABLE_SWAP = [
  'set -eu',
  'fstab=$1',
  'swapoff -a',
  'if awk \'$1 !~ /^#/ && $3 == "swap" { found = 1 } END { exit !found }\' "$fstab"; then',
  '  cp -p "$fstab" "$fstab.crinit"',
  '  awk \'$1 !~ /^#/ && $3 == "swap" { print "# crinit: kubelet needs swap off: " $0; next } { print }\' "$fstab.crinit" > "$fstab.tmp"',
  '  mv "$fstab.tmp" "$fstab"',
  'fi',
].join('\n');

export function disableSwapLine(id: string): Line {
  return { id, argv: ['sh', '-c', DISABLE_SWAP, 'sh', '/etc/fstab'] };
}

/** A part of the output and the bytes it takes, for "what is using the space" messages. */
export interface Contributor {
  readonly label: string;
  readonly bytes: number;
}
