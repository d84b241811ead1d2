/**
 * @fileoverview The commands over a whole inventory besides render: `crinit export matchbox` and
 * `crinit serve`.
 */
import { writeTreeAtomically } from '../atomic.js';
import { workerThreads } from '../builtins.js';
import { CODES, hasErrors, type Diagnostic } from '../diagnostics.js';
import { renderInventory, type FleetOutput } from '../fleet.js';
import { exportMatchbox } from '../matchbox.js';
import { createBootServer, loadState } from '../serve.js';
import { cannotReadInventory, EXIT, exitCodeFor, readText, report, cannotWrite } from './io.js';

/** The action of `crinit export`. */
export function runExport(target: string, opts: { inventory: string; output: string; matchboxUrl: string; set: string[] }): void {
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
    cannotWrite(`to ${opts.output}`, e);
    return;
  }
  process.stderr.write(`wrote ${fleet.outputs.length} machine${fleet.outputs.length === 1 ? '' : 's'} to ${opts.output} (profiles/, groups/, ignition/)\n`);
}

/** How long SIGTERM lets requests in flight finish before it closes their connections. */
const DRAIN_MS = 3000;

/** The action of `crinit serve`. */
export function runServe(opts: { inventory: string; listen: string; set: string[]; publicUrl?: string }): void {
  const m = /^(.+):(\d{1,5})$/.exec(opts.listen);
  // A port past 65535 is a usage mistake, not an I/O error.
  if (!m || Number(m[2]) > 65535) {
    process.stderr.write('error: --listen takes host:port, e.g. 127.0.0.1:8080\n');
    process.exitCode = EXIT.usage;
    return;
  }
  if (opts.publicUrl !== undefined && !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$|^https?:\/\/\[[0-9A-Fa-f:]+\](:\d{1,5})?\/?$/.test(opts.publicUrl)) {
    process.stderr.write('error: --public-url takes http(s)://HOST[:PORT], e.g. http://boot.example.com:8080\n');
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
  const boot = createBootServer(first.state, log, opts.publicUrl ? { publicUrl: opts.publicUrl.replace(/\/+$/, '') } : {});
  // SIGHUP reloads in a worker thread, so that requests are answered throughout; a SIGHUP
  // during a reload starts one more when it ends.
  let reloading = false;
  let again = false;
  const reload = (): void => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = true;
    const worker = new (workerThreads().Worker)(new URL('./serve-worker.js', import.meta.url), { workerData: { inventory: opts.inventory, set: opts.set } });
    const finish = (): void => {
      reloading = false;
      if (again) {
        again = false;
        reload();
      }
    };
    worker.once('message', (msg: { diagnostics: Diagnostic[]; byMac?: [string, FleetOutput][] }) => {
      report(msg.diagnostics);
      if (msg.byMac) {
        boot.setState({ byMac: new Map(msg.byMac) });
        log(`reloaded ${opts.inventory}: ${msg.byMac.length} machines`);
      } else log(`kept the previous inventory: ${opts.inventory} has errors`);
    });
    worker.once('error', (e) => log(`kept the previous inventory: the reload failed (${e.message})`));
    worker.once('exit', finish);
  };
  process.on('SIGHUP', reload);
  // SIGTERM: no new connections; requests in flight get a few seconds, then every connection
  // is closed (a client that sends half a request cannot hold the server up).
  process.on('SIGTERM', () => {
    boot.server.close(() => process.exit(0));
    boot.server.closeIdleConnections();
    setTimeout(() => {
      boot.server.closeAllConnections();
      process.exit(0);
    }, DRAIN_MS).unref();
  });
  boot.server.on('error', (e: NodeJS.ErrnoException) => {
    process.stderr.write(`error ${CODES.internal}: cannot listen on ${opts.listen}: ${e.code ?? e.message}\n`);
    process.exit(EXIT.internal);
  });
  boot.server.listen(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ''), () => {
    const a = boot.server.address();
    const where = a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : opts.listen;
    log(`serving ${first.state!.byMac.size} machines on http://${where}/`);
  });
}
