/**
 * Reading YAML with PyYAML, the parser cloud-init itself uses (python3-yaml, a dependency of
 * Debian's cloud-init package).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function hasPyYaml(): boolean {
  return spawnSync(PYTHON, ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;
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
