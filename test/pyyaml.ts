/**
 * Reading YAML with PyYAML, the parser cloud-init itself uses (python3-yaml, a dependency of
 * Debian's cloud-init package).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { REQUIRE_TOOLS } from './helpers.js';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function hasPyYaml(): boolean {
  return spawnSync(PYTHON, ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;
}

/** needPyYaml skips the calling test when PyYAML is missing; under CRINIT_REQUIRE_TOOLS=1 it fails it. */
export function needPyYaml(ctx: { skip: (note?: string) => void }): void {
  if (hasPyYaml()) return;
  if (REQUIRE_TOOLS) throw new Error('CRINIT_REQUIRE_TOOLS=1 but PyYAML (python3-yaml) is not installed');
  process.stderr.write('skipping: PyYAML is not installed (apt-get install python3-yaml)\n');
  ctx.skip('PyYAML is not installed (apt-get install python3-yaml)');
}

/** pyYamlLoad parses each document with yaml.safe_load and returns the results as JSON values. */
export function pyYamlLoad(texts: readonly string[]): unknown[] {
  const script =
    'import sys, json, yaml\n' +
    'docs = json.loads(sys.stdin.buffer.read().decode("utf-8"))\n' +
    'sys.stdout.write(json.dumps([yaml.safe_load(d) for d in docs]))\n';
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`PyYAML failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown[];
}
