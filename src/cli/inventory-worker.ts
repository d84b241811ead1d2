/**
 * @fileoverview The thread that reads an inventory's pieces for `render --inventory` while the
 * main thread renders and stages the nodes of the pieces already read. It loads only the
 * inventory reader (yaml and csv-parse), so it starts at once.
 */
import { parentPort } from 'node:worker_threads';
import { readPieces, type ChunkJob } from '../inventory.js';

parentPort!.once('message', (job: ChunkJob) => {
  readPieces(job, (result) => parentPort!.postMessage(result));
});
