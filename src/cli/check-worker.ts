/**
 * @fileoverview The per-node checks of `render --inventory`, on a second thread: each job is one
 * distinct set of a profile's per-node values, checked exactly as `render --var` checks it
 * (checkValues), while the main thread fills and stages the outputs.
 */
import { parentPort } from 'node:worker_threads';
import { checkValues, type CompileOptions } from '../compile.js';
import { readText } from './io.js';

/** A message: a profile (sent once, by group), or one set of values to check against a group's profile. */
export type CheckMessage =
  | { readonly group: number; readonly profile: CompileOptions['profile']; readonly set: readonly string[] }
  | { readonly id: number; readonly group: number; readonly values: Readonly<Record<string, string>> };

const profiles = new Map<number, CompileOptions>();
parentPort!.on('message', (m: CheckMessage) => {
  if ('profile' in m) {
    profiles.set(m.group, { profile: m.profile, set: m.set, readFile: readText });
    return;
  }
  parentPort!.postMessage({ id: m.id, diagnostics: checkValues(profiles.get(m.group)!, m.values) });
});
