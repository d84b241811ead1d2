/**
 * @fileoverview The reload of `crinit serve`, off the thread that answers requests: it reads and
 * renders the inventory and posts the new state (or the diagnostics) back. A reload of a large
 * inventory, or of one naming a file that is slow to read, never holds up a request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadState } from '../serve.js';
import { cannotReadInventory, readText } from './io.js';

const { inventory, set } = workerData as { inventory: string; set: string[] };
const text = readText(inventory);
const result = text === undefined ? { diagnostics: [cannotReadInventory(inventory)] } : loadState(inventory, text, { readFile: readText, set });
parentPort!.postMessage({ diagnostics: result.diagnostics, ...(result.state ? { byMac: [...result.state.byMac] } : {}) });
