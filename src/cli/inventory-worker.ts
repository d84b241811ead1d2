/**
 * @fileoverview The thread that reads an inventory's pieces for `render --inventory` while the
 * main thread renders and stages the nodes of the pieces already read. The thread runs
 * src/cli/worker.cts, which calls serveInventory.
 */
import type { MessagePort } from 'node:worker_threads';
import { readPieces, type ChunkJob } from '../inventory.js';

/** serveInventory reads the job that comes to port, and posts each piece's result as it is read. */
export function serveInventory(port: MessagePort): void {
  port.once('message', (job: ChunkJob) => {
    readPieces(job, (result) => port.postMessage(result));
  });
}
