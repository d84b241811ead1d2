/**
 * @fileoverview A helper thread of `render --inventory`: the per-node checks (workerData
 * 'check', src/cli/check-worker.ts) or the inventory reader ('inventory',
 * src/cli/inventory-worker.ts). It starts from the bundled program with its code cache
 * (src/cli/bundle.cts), as the command line does, instead of loading the compiler's modules one
 * by one; without a bundle, it imports the module. CommonJS, like cli.cts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadBundle } from './bundle.cjs';

/** Which helper a thread is, as render-run.ts starts it. */
export type WorkerKind = 'check' | 'inventory';

const kind = workerData as WorkerKind;
const port = parentPort!;
const bundled = loadBundle();
if (bundled) {
  if (kind === 'check') bundled.program.serveChecks(port);
  else bundled.program.serveInventory(port);
} else if (kind === 'check') {
  void import('./check-worker.js').then((m) => m.serveChecks(port));
} else {
  void import('./inventory-worker.js').then((m) => m.serveInventory(port));
}
