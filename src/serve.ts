/**
 * @fileoverview `crinit serve`: an HTTP server for bare-metal boot from an inventory.
 *
 *   GET /nocloud/<mac>/user-data | meta-data | vendor-data   cloud-init's ds=nocloud-net
 *   GET /ignition?mac=<mac>                                  Ignition's ignition.config.url
 *                                                            (flatcar.config.url on Flatcar)
 *   GET /boot.ipxe                                           chains to /ipxe?mac=${mac:hexhyp}
 *   GET /ipxe?mac=<mac>                                      the machine's kernel, initrd, args
 *   GET /healthz                                             200 and the number of machines
 *
 * Only those routes answer; everything else, and every unknown machine, is a 404 with a log
 * line, so no file is ever served by path. SIGHUP re-reads the inventory in a worker thread
 * (src/cli/serve-worker.ts), so requests are answered throughout: the new one replaces the old in
 * one assignment, and a bad one is reported and the old kept.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from './builtins.js';
import { renderInventory, type FleetOutput } from './fleet.js';
import type { CompileOptions } from './compile.js';
import { hasErrors, type Diagnostic } from './diagnostics.js';
import { BACKENDS } from './backends/registry.js';
import { FORMATS } from './outputs/formats.js';

export interface ServeState {
  readonly byMac: ReadonlyMap<string, FleetOutput>;
}

/** loadState renders an inventory into the lookup the server answers from. */
export function loadState(file: string, text: string, options: Pick<CompileOptions, 'readFile' | 'set'>): { state?: ServeState; diagnostics: Diagnostic[] } {
  const fleet = renderInventory(file, text, options);
  const diagnostics = fleet.diagnostics;
  if (hasErrors(diagnostics)) return { diagnostics };
  const byMac = new Map<string, FleetOutput>();
  for (const o of fleet.outputs) if (o.node.mac) byMac.set(o.node.mac, o);
  return { state: { byMac }, diagnostics };
}

/** normalizeMac accepts 52:54:00:aa:bb:cc, 52-54-00-AA-BB-CC (iPXE's hexhyp) and the like. */
export function normalizeMac(value: string): string | undefined {
  const hex = value.toLowerCase().split(/[:-]/);
  return hex.length === 6 && hex.every((h) => /^[0-9a-f]{2}$/.test(h)) ? hex.join(':') : undefined;
}

/**
 * configArgs are the kernel arguments that point a machine at its config on this server:
 * NoCloud's ds= for cloud-init; for Ignition the config URL and the first-boot flag, in each
 * OS's spelling (Fedora CoreOS: ignition.*, Flatcar: flatcar.*), unless the inventory gave them.
 */
export function configArgs(o: FleetOutput, base: string, mac: string): string[] {
  return BACKENDS[o.backend].configArgs(base, mac, o.os, o.node.boot?.args ?? '');
}

export interface Server_ {
  readonly server: Server;
  setState(state: ServeState): void;
}

export interface ServeOptions {
  /** The server's address as machines reach it, for iPXE scripts; else the request's Host. */
  readonly publicUrl?: string;
}

export function createBootServer(initial: ServeState, log: (line: string) => void, options: ServeOptions = {}): Server_ {
  let state = initial;
  const server = http().createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://crinit.invalid');
    const send = (status: number, body: string, node = '-', type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
      log(`${req.method} ${url.pathname}${url.search} ${status} ${node}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    const current = state;
    const nocloud = /^\/nocloud\/([0-9A-Fa-f:-]{17})\/(user-data|meta-data|vendor-data)$/.exec(url.pathname);
    if (nocloud) {
      const mac = normalizeMac(nocloud[1]!);
      const hit = mac ? current.byMac.get(mac) : undefined;
      if (!hit) return send(404, 'unknown machine\n');
      if (BACKENDS[hit.backend].route !== '/nocloud/') return send(404, `this machine boots with ${BACKENDS[hit.backend].system}: /ignition?mac=\n`, hit.name);
      if (nocloud[2] === 'user-data') return send(200, hit.output, hit.name);
      if (nocloud[2] === 'meta-data') return send(200, `instance-id: ${hit.name}\nlocal-hostname: ${hit.name}\n`, hit.name);
      return send(200, '', hit.name);
    }
    if (url.pathname === '/ignition') {
      const mac = normalizeMac(url.searchParams.get('mac') ?? '');
      const hit = mac ? current.byMac.get(mac) : undefined;
      if (!hit) return send(404, 'unknown machine\n');
      if (BACKENDS[hit.backend].route !== '/ignition') return send(404, `this machine boots with ${BACKENDS[hit.backend].system}: /nocloud/<mac>/\n`, hit.name);
      return send(200, hit.output, hit.name, FORMATS[hit.format].contentType);
    }
    if (url.pathname === '/healthz') return send(200, `ok ${current.byMac.size} machines\n`);
    if (url.pathname === '/boot.ipxe') return send(200, '#!ipxe\nchain /ipxe?mac=${mac:hexhyp}\n');
    if (url.pathname === '/ipxe') {
      const mac = normalizeMac(url.searchParams.get('mac') ?? '');
      const hit = mac ? current.byMac.get(mac) : undefined;
      if (!hit || !hit.node.boot) return send(404, '#!ipxe\necho crinit: unknown machine\nexit 1\n');
      const host = /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(req.headers.host ?? '') ? req.headers.host! : '127.0.0.1';
      const base = options.publicUrl ?? `http://${host}`;
      const b = hit.node.boot;
      const args = [b.args ?? '', ...configArgs(hit, base, mac!)].filter(Boolean).join(' ');
      return send(200, `#!ipxe\nkernel ${b.kernel} ${args}\ninitrd ${b.initrd}\nboot\n`, hit.name);
    }
    return send(404, 'not found\n');
  });
  // A client that sends half a request is dropped after a few seconds, not minutes.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return { server, setState: (s) => (state = s) };
}
