/**
 * @fileoverview Node's own modules that only some commands use, loaded on first use: a render
 * to stdout loads none of them (crypto for -o, multipart and Ignition, zlib for gzip, http for
 * serve, worker_threads for fleets), so that it does not wait for them.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const crypto = (): typeof import('node:crypto') => load('node:crypto') as typeof import('node:crypto');
export const zlib = (): typeof import('node:zlib') => load('node:zlib') as typeof import('node:zlib');
export const http = (): typeof import('node:http') => load('node:http') as typeof import('node:http');
export const workerThreads = (): typeof import('node:worker_threads') => load('node:worker_threads') as typeof import('node:worker_threads');
