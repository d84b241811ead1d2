/**
 * @fileoverview `crinit export matchbox`: an inventory as a matchbox data directory, for fleets
 * that outgrow `crinit serve`. Per node: profiles/NAME.json (boot kernel, initrd, arguments and
 * the config it gets), groups/NAME.json (selected by MAC) and ignition/NAME.ign.
 *
 * Only Ignition machines are exported: matchbox's cloud-config endpoint is deprecated and renders
 * configs as Go templates, and NoCloud cannot name a URL with a query. Cloud-init machines are
 * refused, pointing at `crinit serve`. matchbox parses Ignition configs up to spec 3.4.0.
 */
import { CODES, type Diagnostic } from './diagnostics.js';
import type { FleetOutput } from './fleet.js';
import { BACKENDS } from './backends/registry.js';
import { configArgs } from './serve.js';

export interface MatchboxFile {
  /** Relative to the data directory, e.g. groups/worker-1.json. */
  readonly path: string;
  readonly text: string;
}

/** The Ignition specs matchbox serves (it parses with v3_4.ParseCompatibleVersion). */
const MATCHBOX_SPECS = new Set(['3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.4.0']);

export function exportMatchbox(outputs: readonly FleetOutput[], baseUrl: string, file: string): { files: MatchboxFile[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const files: MatchboxFile[] = [];
  const err = (o: FleetOutput, message: string, hint: string) =>
    diagnostics.push({ severity: 'error', code: CODES.inventory, message, hint, file, position: o.node.position });
  for (const o of outputs) {
    if (BACKENDS[o.backend].route !== '/ignition') {
      err(o, `${o.name} is provisioned by cloud-init, which crinit does not export to matchbox`, "matchbox's cloud-config endpoint is deprecated; serve these machines with crinit serve");
      continue;
    }
    const version = (JSON.parse(o.output) as { ignition: { version: string } }).ignition.version;
    if (!MATCHBOX_SPECS.has(version)) {
      err(o, `${o.name}'s Ignition config is spec ${version}, newer than matchbox reads (3.4.0)`, 'set ignition.version: "3.4.0" or older in its profile');
      continue;
    }
    if (!o.node.mac) {
      err(o, `${o.name} has no mac, and matchbox selects machines by it`, 'add mac: to the node');
      continue;
    }
    const boot = o.node.boot;
    const profile = {
      id: o.name,
      name: o.name,
      ignition_id: `${o.name}.ign`,
      ...(boot
        ? {
            boot: {
              kernel: boot.kernel,
              initrd: [boot.initrd],
              // iPXE fills ${mac:hexhyp} in; matchbox matches the group by it.
              args: [...(boot.args ?? '').split(/\s+/).filter(Boolean), ...configArgs(o, baseUrl.replace(/\/+$/, ''), '${mac:hexhyp}')],
            },
          }
        : {}),
    };
    const group = { id: o.name, name: o.name, profile: o.name, selector: { mac: o.node.mac } };
    files.push(
      { path: `profiles/${o.name}.json`, text: `${JSON.stringify(profile, null, 2)}\n` },
      { path: `groups/${o.name}.json`, text: `${JSON.stringify(group, null, 2)}\n` },
      { path: `ignition/${o.name}.ign`, text: o.output },
    );
  }
  return { files: diagnostics.length > 0 ? [] : files, diagnostics };
}
