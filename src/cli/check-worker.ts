/**
 * @fileoverview The per-node checks of `render --inventory`, on a second thread: each job is one
 * distinct set of a profile's per-node values, checked exactly as `render --var` checks it
 * (prepareValueCheck, which gives what checkValues gives), while the main thread fills and stages the outputs.
 */
import { parentPort } from 'node:worker_threads';
import { prepareValueCheck, type CompileOptions } from '../compile.js';
import { readText } from './io.js';

/** A message: a profile (sent once, by group), or one set of values to check against a group's profile. */
export type CheckMessage =
  | { readonly group: number; readonly profile: CompileOptions['profile']; readonly set: readonly string[] }
  | { readonly id: number; readonly group: number; readonly values: Readonly<Record<string, string>> };

const checks = new Map<number, (values: Readonly<Record<string, string>>) => unknown>();
parentPort!.on('message', (m: CheckMessage) => {
  if ('profile' in m) {
    const options: CompileOptions = { profile: m.profile, set: m.set, readFile: readText };
    checks.set(m.group, prepareValueCheck(options));
    return;
  }
  parentPort!.postMessage({ id: m.id, diagnostics: checks.get(m.group)!(m.values) });
});
