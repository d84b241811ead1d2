/**
 * @fileoverview The per-node checks of `render --inventory`, on a second thread: each job is one
 * distinct set of a profile's per-node values, checked exactly as `render --var` checks it
 * (prepareValueCheck, which gives what checkValues gives), while the main thread fills and stages the outputs.
 * The thread runs src/cli/worker.cts, which calls serveChecks.
 */
import type { MessagePort } from 'node:worker_threads';
import { prepareValueCheck, type CompileOptions } from '../compile.js';
import type { Diagnostic } from '../diagnostics.js';
import { readText } from './io.js';

/** A job: a profile (sent once, by group), or one set of values to check against a group's profile. */
export type CheckJob =
  | { readonly group: number; readonly profile: CompileOptions['profile']; readonly set: readonly string[] }
  | { readonly id: number; readonly group: number; readonly values: Readonly<Record<string, string>> };

/** A message holds the jobs queued since the last one, in order; the answer, each check's diagnostics. */
export type CheckMessage = readonly CheckJob[];
export type CheckAnswer = readonly { readonly id: number; readonly diagnostics: readonly Diagnostic[] }[];

/** serveChecks answers the check jobs that come to port, one message of answers a message. */
export function serveChecks(port: MessagePort): void {
  const checks = new Map<number, (values: Readonly<Record<string, string>>) => readonly Diagnostic[]>();
  port.on('message', (jobs: CheckMessage) => {
    const answer: { id: number; diagnostics: readonly Diagnostic[] }[] = [];
    for (const m of jobs) {
      if ('profile' in m) {
        const options: CompileOptions = { profile: m.profile, set: m.set, readFile: readText };
        checks.set(m.group, prepareValueCheck(options));
      } else answer.push({ id: m.id, diagnostics: checks.get(m.group)!(m.values) });
    }
    const message: CheckAnswer = answer;
    port.postMessage(message);
  });
}
