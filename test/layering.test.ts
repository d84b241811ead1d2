/**
 * The import rule the plan redesign starts with: a backend reads the plan and renders it, so it
 * imports the plan's types, the shared lowering helpers and the layers below, never the plan
 * builder, delivery, the CLI, or the other backend.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('imports go down', () => {
  it('backends import neither each other nor the plan builder, delivery, compile or the CLI', () => {
    const dir = join(ROOT, 'src', 'backends');
    const offenders: string[] = [];
    let checked = 0;
    for (const backend of ['cloud-init', 'ignition']) {
      for (const f of readdirSync(join(dir, backend)).filter((x) => x.endsWith('.ts'))) {
        for (const spec of imports(join(dir, backend, f))) {
          checked++;
          const other = backend === 'cloud-init' ? 'ignition' : 'cloud-init';
          if (spec.includes(`/${other}/`) || /\/(plan\/build|delivery|compile|cli|fleet|serve)\.js$/.test(spec)) offenders.push(`${backend}/${f} imports ${spec}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });

  it('the shared helpers and the plan import no backend', () => {
    for (const f of ['src/backends/shared.ts', ...srcFiles().filter((x) => x.startsWith('plan/')).map((x) => `src/${x}`)]) {
      for (const spec of imports(join(ROOT, f))) expect(spec, f).not.toMatch(/backends\/(cloud-init|ignition)\//);
    }
  });
});

/** Every module under src/ and its layer; a module imports only from its own layer or below. */
const LAYERS: readonly (readonly [layer: string, match: RegExp])[] = [
  // Types of the files the build copies into dist/vendor/ from pinned devDependencies.
  ['vendor', /^vendor\//],
  ['diagnostics', /^(diagnostics|paths|builtins|assets\.generated|builtin-data\.generated|version\.generated|atomic)\.ts$/],
  ['profile', /^profile\//],
  ['os', /^os\//],
  ['rules', /^rules\//],
  ['plan', /^plan\//],
  ['render', /^render\//],
  ['backends', /^backends\//],
  ['outputs', /^outputs\//],
  ['compile', /^(compile|offline|delivery|tftpl|list|runtimeclasses)\.ts$/],
  ['fleet', /^(fleet|inventory|inventory-simple|serve|matchbox)\.ts$/],
  ['cli', /^(cli\.cts|index\.ts)$|^cli\//],
];

function srcFiles(dir = join(ROOT, 'src'), prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? srcFiles(join(dir, e.name), `${prefix}${e.name}/`) : e.name.endsWith('.ts') ? [`${prefix}${e.name}`] : []));
}

function layerOf(file: string): number {
  const i = LAYERS.findIndex(([, m]) => m.test(file));
  if (i < 0) throw new Error(`${file} is in no layer: add it to LAYERS`);
  return i;
}

describe('the layers', () => {
  it('cli > compile/fleet > outputs > backends > render > plan > rules > os > profile > diagnostics > vendor: no module imports from a layer above its own', () => {
    const files = srcFiles();
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const f of files) {
      const mine = layerOf(f);
      for (const spec of imports(join(ROOT, 'src', f)).filter((s) => s.startsWith('.'))) {
        const target = join(f, '..', spec).replace(/\.js$/, '.ts');
        if (layerOf(target) > mine) offenders.push(`${f} (${LAYERS[mine]![0]}) imports ${target} (${LAYERS[layerOf(target)]![0]})`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('names live in their registries', () => {
  /**
   * Every distro, runtime, package-manager, backend and format name, from the profiles and the
   * registries themselves, and the modules allowed to compare against each: its own.
   */
  const names = (dir: string, key: RegExp): string[] =>
    readdirSync(join(ROOT, 'profiles', dir))
      .map((f) => key.exec(readFileSync(join(ROOT, 'profiles', dir, f), 'utf8'))?.[1])
      .filter((x): x is string => !!x);
  const distros = names('distros', /^ {2}id: (\S+)$/m);
  const runtimes = names('runtimes', /^ {2}name: (\S+)$/m);
  const OWN: Readonly<Record<string, RegExp>> = {
    ...Object.fromEntries(runtimes.map((r) => [r, new RegExp(`^(rules|plan)/runtimes/${r}\\.ts$`)])),
    ...Object.fromEntries(distros.map((d) => [d, /^$/])),
    apt: /^os\/package-managers\.ts$/,
    dnf: /^os\/package-managers\.ts$/,
    'rpm-ostree': /^os\/package-managers\.ts$/,
    yum: /^os\/package-managers\.ts$/,
    'cloud-init': /^(backends\/cloud-init\/|backends\/registry\.ts|os\/first-boot\.ts)/,
    'cloud-config': /^(backends\/cloud-init\/|outputs\/formats\.ts)/,
    ignition: /^(backends\/ignition\/|backends\/registry\.ts|os\/first-boot\.ts|outputs\/formats\.ts)/,
    butane: /^(backends\/ignition\/|outputs\/formats\.ts)/,
    mime: /^outputs\/formats\.ts$/,
    tftpl: /^outputs\/formats\.ts$/,
    fedora: /^backends\/ignition\//,
    flatcar: /^backends\/ignition\//,
  };

  it('no distro, runtime, package-manager, backend or format name is compared outside its own module', () => {
    expect(distros.length).toBeGreaterThanOrEqual(8);
    expect(runtimes).toEqual(expect.arrayContaining(['containerd', 'cri-o', 'docker', 'mcr']));
    const alternatives = Object.keys(OWN)
      .map((n) => n.replace(/[.]/g, '\\.'))
      .join('|');
    const compared = new RegExp(`(?:===|!==)\\s*'(${alternatives})'|'(${alternatives})'\\s*(?:===|!==)|case\\s+'(${alternatives})'\\s*:`, 'g');
    const offenders: string[] = [];
    for (const f of srcFiles()) {
      const text = readFileSync(join(ROOT, 'src', f), 'utf8');
      for (const m of text.matchAll(compared)) {
        const name = m[1] ?? m[2] ?? m[3]!;
        if (!OWN[name]!.test(f)) offenders.push(`${f}: ${m[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
