/**
 * @fileoverview The commands over a whole inventory besides render: `crinit export matchbox` and
 * `crinit serve`.
 */
import type { Command } from 'commander';
import { writeTreeAtomically } from '../atomic.js';
import { CODES, hasErrors } from '../diagnostics.js';
import { renderInventory } from '../fleet.js';
import { exportMatchbox } from '../matchbox.js';
import { createBootServer, loadState } from '../serve.js';
import { cannotReadInventory, collect, EXIT, exitCodeFor, readText, report } from './io.js';

/** Adds `crinit export matchbox`. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the machines of an inventory as a matchbox data directory (profiles, groups, ignition)')
    .argument('<target>', 'matchbox')
    .requiredOption('--inventory <file>', 'a YAML or CSV inventory with a mac (and boot entry) per machine')
    .requiredOption('-o, --output <dir>', 'the matchbox data directory to write (-data-path)')
    .requiredOption('--matchbox-url <url>', "matchbox's HTTP address as the machines reach it, e.g. http://matchbox.example.com:8080")
    .option('--set <key=value>', 'override a profile key for every machine (repeatable)', collect, [])
    .action((target: string, opts: { inventory: string; output: string; matchboxUrl: string; set: string[] }) => {
      if (target !== 'matchbox' || !/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/.test(opts.matchboxUrl)) {
        process.stderr.write(target !== 'matchbox' ? `error: unknown export target ${JSON.stringify(target)}; crinit exports to matchbox\n` : 'error: --matchbox-url takes http(s)://HOST[:PORT]\n');
        process.exitCode = EXIT.usage;
        return;
      }
      const text = readText(opts.inventory);
      if (text === undefined) {
        report([cannotReadInventory(opts.inventory)]);
        process.exitCode = EXIT.invalid;
        return;
      }
      const fleet = renderInventory(opts.inventory, text, { readFile: readText, set: opts.set });
      const exported = hasErrors(fleet.diagnostics) ? { files: [], diagnostics: [] } : exportMatchbox(fleet.outputs, opts.matchboxUrl, opts.inventory);
      const diagnostics = [...fleet.diagnostics, ...exported.diagnostics];
      report(diagnostics);
      const code = exitCodeFor(diagnostics);
      if (code !== EXIT.ok) {
        process.exitCode = code;
        return;
      }
      try {
        // Configs may hold secrets (0600: give matchbox's user access); profiles and groups do not.
        // All of it or none, and a machine that left the inventory leaves matchbox too.
        writeTreeAtomically(opts.output, exported.files.map((f) => ({ path: f.path, data: f.text, mode: f.path.startsWith('ignition/') ? 0o600 : 0o644 })));
      } catch (e) {
        process.stderr.write(`error ${CODES.internal}: cannot write to ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
        process.exitCode = EXIT.internal;
        return;
      }
      process.stderr.write(`wrote ${fleet.outputs.length} machine${fleet.outputs.length === 1 ? '' : 's'} to ${opts.output} (profiles/, groups/, ignition/)\n`);
    });
}

/** Adds `crinit serve`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve NoCloud user-data and iPXE scripts for the machines of an inventory (SIGHUP reloads it)')
    .requiredOption('--inventory <file>', 'a YAML or CSV inventory with a mac per machine')
    .option('--listen <host:port>', 'the address to listen on', '127.0.0.1:8080')
    .option('--set <key=value>', 'override a profile key for every machine (repeatable)', collect, [])
    .action((opts: { inventory: string; listen: string; set: string[] }) => {
      const m = /^(.+):(\d{1,5})$/.exec(opts.listen);
      // A port past 65535 is a usage mistake, not an I/O error.
      if (!m || Number(m[2]) > 65535) {
        process.stderr.write('error: --listen takes host:port, e.g. 127.0.0.1:8080\n');
        process.exitCode = EXIT.usage;
        return;
      }
      const load = () => {
        const text = readText(opts.inventory);
        if (text === undefined) return { diagnostics: [cannotReadInventory(opts.inventory)] };
        return loadState(opts.inventory, text, { readFile: readText, set: opts.set });
      };
      const first = load();
      report(first.diagnostics);
      if (!first.state) {
        process.exitCode = exitCodeFor(first.diagnostics) || EXIT.invalid;
        return;
      }
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const boot = createBootServer(first.state, log);
      process.on('SIGHUP', () => {
        const next = load();
        report(next.diagnostics);
        if (next.state) {
          boot.setState(next.state);
          log(`reloaded ${opts.inventory}: ${next.state.byMac.size} machines`);
        } else log(`kept the previous inventory: ${opts.inventory} has errors`);
      });
      process.on('SIGTERM', () => boot.server.close(() => process.exit(0)));
      boot.server.on('error', (e: NodeJS.ErrnoException) => {
        process.stderr.write(`error ${CODES.internal}: cannot listen on ${opts.listen}: ${e.code ?? e.message}\n`);
        process.exit(EXIT.internal);
      });
      boot.server.listen(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ''), () => {
        const a = boot.server.address();
        const where = a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : opts.listen;
        log(`serving ${first.state!.byMac.size} machines on http://${where}/`);
      });
    });
}
