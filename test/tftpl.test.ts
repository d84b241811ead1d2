/**
 * --format tftpl, proven with an independent evaluator of HCL templates written here from the
 * HCL native syntax spec ("Template Expressions"): `$${` and `%%{` are escapes for literal `${`
 * and `%{`; `${ name }` interpolates a variable and `${"$…"}` a string literal; `%{ … }` is a directive (crinit never emits
 * one, so meeting one is a failure). Evaluating crinit's template with the variables must give
 * exactly what crinit renders directly with those values.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compile } from '../dist/index.js';
import { DISTROS, IGNITION_DISTROS, needTool, runCli, tempDir, writeTemp } from './helpers.js';

/** Evaluates an HCL template with string variables; throws on anything but plain interpolation. */
export function evaluateHclTemplate(template: string, vars: Record<string, string>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('$${', i)) {
      out += '${';
      i += 3;
    } else if (template.startsWith('%%{', i)) {
      out += '%{';
      i += 3;
    } else if (template.startsWith('${', i)) {
      const end = template.indexOf('}', i + 2);
      if (end < 0) throw new Error(`unterminated interpolation at ${i}`);
      const expr = template.slice(i + 2, end).trim();
      // A quoted string of plain characters (no escapes, no template sequences) is its own value.
      const literal = /^"([^"\\$%{}]|\$(?!\{)|%(?!\{))*"$/.test(expr);
      if (literal) out += expr.slice(1, -1);
      else if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(expr)) throw new Error(`not a variable reference at ${i}: \${${expr}}`);
      else if (!(expr in vars)) throw new Error(`unknown variable ${expr} at ${i}`);
      else out += vars[expr];
      i = end + 1;
    } else if (template.startsWith('%{', i)) {
      throw new Error(`template directive at ${i}: ${template.slice(i, i + 20)}`);
    } else {
      out += template[i];
      i += 1;
    }
  }
  return out;
}

describe('the HCL template evaluator itself', () => {
  it('follows the spec on escapes, interpolations and directives', () => {
    expect(evaluateHclTemplate('a $${b} %%{c} ${ x } $$x %x $', { x: 'X' })).toBe('a ${b} %{c} X $$x %x $');
    expect(evaluateHclTemplate('$$${x}', { x: 'X' })).toBe('$${x}');
    expect(evaluateHclTemplate('${"$$"}${x}', { x: 'X' })).toBe('$$X');
    expect(() => evaluateHclTemplate('${HOME}', {})).toThrow(/unknown variable/);
    expect(() => evaluateHclTemplate('${#a[@]}', {})).toThrow(/not a variable reference/);
    expect(() => evaluateHclTemplate('%{ if x }', {})).toThrow(/directive/);
  });
});

describe('crinit render --format tftpl', () => {
  it('every built-in output, evaluated with no variables, is exactly the direct render', () => {
    for (const d of [...DISTROS, ...IGNITION_DISTROS]) {
      const direct = compile({ profile: `${d}/containerd` }).output!;
      const tpl = compile({ profile: `${d}/containerd`, terraformTemplate: {} }).output!;
      // crinit-step's own ${…} had to be escaped in user-data; in Ignition JSON it is encoded.
      if (!(IGNITION_DISTROS as readonly string[]).includes(d)) expect(tpl).not.toBe(direct);
      expect(evaluateHclTemplate(tpl, {})).toBe(direct);
    }
  });

  const fragments = ['${VAR:-x}', '${#a[@]}', '%{ if x }', '%{', '${', '$${', '%%{', '$$', '%', '$', '{', '}', '${hostname}', '${node_ip}', 'echo ', '"', "'", '\n', 'é'];
  const script = fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 12 }).map((p) => p.join(''));
  const hostname = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
  const ip = fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.0.${a}.${b}`);

  it('scripts and files full of ${…} and %{: evaluate(template, vars) equals the render with --var values', () => {
    fc.assert(
      fc.property(script, script, hostname, ip, fc.constantFrom('ubuntu-24.04/containerd', 'flatcar/containerd', 'fcos/containerd'), (content, command, host, nodeIp, base) => {
        const profile = {
          path: 'node.yaml',
          text: JSON.stringify({
            extends: base,
            terraform: { variables: ['hostname', 'node_ip'] },
            files: [{ path: '/etc/crinit-node', content }],
            commands: [command, ['hostnamectl', 'set-hostname', '${hostname}']],
          }),
        };
        const direct = compile({ profile, variables: { hostname: host, node_ip: nodeIp } });
        const tpl = compile({ profile, terraformTemplate: {} });
        expect(direct.output, direct.diagnostics.map((x) => x.message).join('; ')).toBeDefined();
        expect(tpl.output, tpl.diagnostics.map((x) => x.message).join('; ')).toBeDefined();
        expect(evaluateHclTemplate(tpl.output!, { hostname: host, node_ip: nodeIp })).toBe(direct.output);
      }),
      { numRuns: 200 },
    );
  });

  it('the examples/terraform profile, filled in per node, passes cloud-init schema', (ctx) => {
    needTool(ctx, 'cloud-init');
    const dir = tempDir();
    const r = runCli(['render', 'examples/terraform/node.yaml', '--format', 'tftpl']);
    expect(r.status, r.stderr).toBe(0);
    for (const [i, vars] of [{ hostname: 'worker-1', node_ip: '10.0.0.11' }, { hostname: 'y', node_ip: '10.0.0.12' }].entries()) {
      const file = writeTemp(dir, `node-${i}.yaml`, evaluateHclTemplate(r.stdout, vars));
      const schema = spawnSync('cloud-init', ['schema', '-c', file], { encoding: 'utf8' });
      expect(schema.status, schema.stdout + schema.stderr).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(runCli(['render', 'examples/terraform/node.yaml', '--var', `hostname=${vars.hostname}`, '--var', `node_ip=${vars.node_ip}`]).stdout);
    }
  });

  it('the examples/terraform Flatcar profile, filled in per node, passes ignition-validate', (ctx) => {
    needTool(ctx, 'ignition-validate', 'ignition');
    const dir = tempDir();
    const r = runCli(['render', 'examples/terraform/flatcar.yaml', '--format', 'tftpl']);
    expect(r.status, r.stderr).toBe(0);
    const vars = { hostname: 'worker-3', node_ip: '10.0.0.13' };
    const file = writeTemp(dir, 'node.ign', evaluateHclTemplate(r.stdout, vars));
    const v = spawnSync('ignition-validate', [file], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout + v.stderr).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(runCli(['render', 'examples/terraform/flatcar.yaml', '--var', 'hostname=worker-3', '--var', 'node_ip=10.0.0.13']).stdout);
    expect(readFileSync(file, 'utf8')).toContain('"source":"data:,worker-3%0A"');
  });

  it('refuses --var values that cannot go into every file as they are', () => {
    const r = runCli(['render', 'examples/terraform/node.yaml', '--var', 'hostname=a"b', '--var', 'node_ip=1.2.3.4']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the value of the variable "hostname" has characters that cannot go into every file as they are');
  });

  it('refuses a variable inside content that has to go base64', () => {
    const r = compile({
      profile: { path: 'n.yaml', text: JSON.stringify({ extends: 'debian-12/containerd', terraform: { variables: ['hostname'] }, files: [{ path: '/etc/x', content: 'a\u0085${hostname}' }] }) },
      terraformTemplate: {},
    });
    expect(r.output).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message).join('\n')).toContain('the variable "hostname" is used in content that crinit has to encode');
  });

  it('CLI: --tf-var keeps a name live; a declared variable without a value is an error with line:col', () => {
    const dir = tempDir();
    writeTemp(dir, 'n.yaml', 'extends: debian-13/containerd\nterraform:\n  variables: [hostname]\ncommands:\n  - [hostnamectl, set-hostname, "${hostname}"]\n  - [echo, "${role}"]\n');
    const tpl = runCli(['render', 'n.yaml', '--format', 'tftpl', '--tf-var', 'role'], { cwd: dir });
    expect(tpl.status, tpl.stderr).toBe(0);
    // A runcmd line with a variable is a literal block, the variable's word in single quotes
    // whatever value fills it.
    expect(tpl.stdout).toContain("- |-\n  /usr/local/sbin/crinit-step user-command-1 -- hostnamectl set-hostname '${hostname}'\n");
    expect(tpl.stdout).toContain("- |-\n  /usr/local/sbin/crinit-step user-command-2 -- echo '${role}'\n");
    expect(evaluateHclTemplate(tpl.stdout, { hostname: 'n1', role: 'worker' })).toBe(runCli(['render', 'n.yaml', '--var', 'hostname=n1', '--var', 'role=worker'], { cwd: dir }).stdout);
    const missing = runCli(['render', 'n.yaml'], { cwd: dir });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^n\.yaml:3:15: error E-VARIABLE: the variable "hostname" is declared but has no value/m);
    expect(runCli(['render', 'n.yaml', '--format', 'tftpl', '--gzip'], { cwd: dir }).status).toBe(1);
    expect(runCli(['render', 'n.yaml', '--tf-var', 'x', '--var', 'hostname=a'], { cwd: dir }).status).toBe(1);
  });
});
