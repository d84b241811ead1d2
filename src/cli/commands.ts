/**
 * @fileoverview The commands' definitions: names, arguments and options, which --help and
 * --version need. What a command does is loaded only when it runs (the *-run.ts modules), so
 * that `crinit --version` does not load the compiler.
 */
import { Option, type Command } from 'commander';
import { PLATFORM_LIMITS } from '../delivery.js';
import { FORMAT_NAMES } from '../outputs/formats.js';

/** collect gathers a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Help text that ends a command's --help: each example command, then what it does. */
export function examples(lines: readonly (readonly [command: string, what: string])[]): string {
  return ['', 'Examples:', ...lines.flatMap(([c, w]) => [`  $ ${c}`, `      ${w}`])].join('\n');
}

/**
 * The options `render` and `validate` share: what shapes the output and its checks, and how the
 * verdict is reported. validate takes them all, so that it checks exactly what render would write.
 */
function checkOptions(cmd: Command): Command {
  return cmd
    .option('--set <key=value>', 'override a profile key, e.g. --set runtime.cgroupDriver=systemd (repeatable)', collect, [])
    .addOption(new Option('--platform <name>', 'fit the size limit of a platform, gzipping when it takes gzip').choices(Object.keys(PLATFORM_LIMITS)).default('none'))
    .addOption(
      new Option(
        '--format <format>',
        "the distro's own by default: cloud-config (or mime, with --part files) for cloud-init distros, ignition (or butane) for fcos and flatcar; tftpl, a Terraform templatefile() template of either",
      ).choices(FORMAT_NAMES),
    )
    .option('--part <file[:type]>', 'with --format mime: add a user part, e.g. extra.sh:text/x-shellscript (repeatable)', collect, [])
    .option('--var <name=value>', 'a value for a per-node variable (${name} in the profile; repeatable)', collect, [])
    .option('--tf-var <name>', 'with --format tftpl: keep ${name} a live Terraform interpolation (repeatable)', collect, [])
    .option('--offline', 'fail, listing them, if any public host is left in the output after mirrors: (air-gapped sites)')
    .option('--json', 'report diagnostics as JSON (file, line, column, code, severity, message, hint)')
    .option('--strict', 'treat warnings as errors: exit 1, and write nothing');
}

/** Adds `crinit render`. */
export function registerRender(program: Command): void {
  const render = program
    .command('render')
    .description("render a profile's first-boot configuration: cloud-init user-data, or Ignition JSON or Butane for fcos and flatcar")
    .argument('[profile]', 'e.g. ubuntu-24.04/containerd, node.yaml, or - for standard input (not with --inventory)')
    .option('--inventory <file>', 'render every node of a YAML or CSV inventory (- for standard input) into -o DIR: <name>.user-data, or <name>.ign for fcos and flatcar')
    .option('-o, --output <file>', 'write to FILE atomically instead of stdout')
    .option('--gzip', 'gzip the output (deterministic: no time stamp, no file name); refused on a terminal')
    .option('--base64', 'base64-encode the (possibly gzipped) output')
    .option('--annotate', 'write each generated file with its notes (what it is for, and why), not only its one-line header');
  checkOptions(render)
    .addHelpText(
      'after',
      examples([
        ['crinit render ubuntu-24.04/containerd -o user-data', 'a built-in profile, written atomically'],
        ['crinit render node.yaml --set runtime.cgroupDriver=systemd', 'a profile file, one key overridden'],
        ['cat node.yaml | crinit render - --platform aws -o user-data', 'from standard input, gzipped if it must be to fit EC2'],
        ['crinit render flatcar/containerd --format butane', 'Butane instead of Ignition JSON'],
        ['crinit render node.yaml --format tftpl --tf-var hostname', 'a Terraform templatefile() template with ${hostname} live'],
        ['crinit render --inventory nodes.csv -o out/', 'one <name>.user-data or <name>.ign per machine, all or none'],
        ['crinit render node.yaml --strict --json 2> diagnostics.json', 'for CI: any warning fails, diagnostics as JSON'],
      ]),
    )
    .action(async (...args: unknown[]) => {
      const { runRender } = await import('./render-run.js');
      await (runRender as (...a: unknown[]) => unknown)(...args);
    });
}

/** Adds `crinit export`. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the machines of an inventory as a matchbox data directory (profiles, groups, ignition)')
    .argument('<target>', 'matchbox')
    .requiredOption('--inventory <file>', 'a YAML or CSV inventory with a mac (and boot entry) per machine')
    .requiredOption('-o, --output <dir>', 'the matchbox data directory to write (-data-path)')
    .requiredOption('--matchbox-url <url>', "matchbox's HTTP address as the machines reach it, e.g. http://matchbox.example.com:8080")
    .option('--set <key=value>', 'override a profile key for every machine (repeatable)', collect, [])
    .addHelpText('after', examples([['crinit export matchbox --inventory nodes.yaml -o /var/lib/matchbox --matchbox-url http://matchbox:8080', "matchbox's profiles, groups and Ignition configs, one group per MAC"]]))
    .action(async (...args: unknown[]) => {
      const { runExport } = await import('./inventory-run.js');
      await (runExport as (...a: unknown[]) => unknown)(...args);
    });
}

/** Adds `crinit serve`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve NoCloud user-data and iPXE scripts for the machines of an inventory (SIGHUP reloads it)')
    .requiredOption('--inventory <file>', 'a YAML or CSV inventory with a mac per machine')
    .option('--listen <host:port>', 'the address to listen on', '127.0.0.1:8080')
    .option('--set <key=value>', 'override a profile key for every machine (repeatable)', collect, [])
    .option('--public-url <url>', "the server's address as the machines reach it (behind a proxy or NAT), used in iPXE scripts instead of the request's Host")
    .addHelpText('after', examples([['crinit serve --inventory nodes.yaml --listen 0.0.0.0:8080', 'NoCloud data at /nocloud/MAC/user-data, iPXE at /boot.ipxe; kill -HUP reloads the inventory']]))
    .action(async (...args: unknown[]) => {
      const { runServe } = await import('./inventory-run.js');
      await (runServe as (...a: unknown[]) => unknown)(...args);
    });
}

/** Adds `crinit validate`. */
export function registerValidate(program: Command): void {
  const validate = program
    .command('validate')
    .description('check a profile (and everything it extends) as render would, with the same options, without writing output')
    .argument('<profile>', 'a profile file, - for standard input, or a built-in DISTRO/RUNTIME');
  checkOptions(validate)
    .addHelpText(
      'after',
      examples([
        ['crinit validate node.yaml', 'every check render runs; exit 0 when the profile renders'],
        ['crinit validate node.yaml --platform aws --strict', 'it fits EC2, and there is no warning either'],
        ['crinit validate node.yaml --json', 'the verdict and every diagnostic as JSON on stdout'],
      ]),
    )
    .action(async (arg: string, opts: Record<string, unknown>) => {
      const { runRender } = await import('./render-run.js');
      await runRender(arg, { ...(opts as unknown as Parameters<typeof runRender>[1]), validateOnly: true });
    });
}

/** Adds `crinit manifest`. */
export function registerManifest(program: Command): void {
  program
    .command('manifest')
    .description('list every artifact a profile fetches (repositories, keys, downloads, images) with its pin, to fill an air-gapped mirror')
    .argument('<profile>', 'e.g. ubuntu-24.04/containerd, or node.yaml')
    .option('--set <key=value>', 'override a profile key (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .addHelpText('after', examples([['crinit manifest node.yaml --json', 'each repository, key, download and image, with its sha256 or fingerprint']]))
    .action(async (...args: unknown[]) => {
      const { runManifest } = await import('./describe-run.js');
      await (runManifest as (...a: unknown[]) => unknown)(...args);
    });
}

/** Adds `crinit runtimeclasses`. */
export function registerRuntimeClasses(program: Command): void {
  program
    .command('runtimeclasses')
    .description("print the RuntimeClass objects of a profile's runtime.handlers, for kubectl apply -f -")
    .argument('<profile>', 'e.g. node.yaml, or ubuntu-24.04/containerd with --set runtime.handlers=…')
    .option('--set <key=value>', 'override a profile key (repeatable)', collect, [])
    .addHelpText('after', examples([['crinit runtimeclasses node.yaml | kubectl apply -f -', 'one RuntimeClass per handler, selecting the nodes that have it']]))
    .action(async (...args: unknown[]) => {
      const { runRuntimeClasses } = await import('./describe-run.js');
      await (runRuntimeClasses as (...a: unknown[]) => unknown)(...args);
    });
}

/** Adds `crinit list`. */
export function registerList(program: Command): void {
  program
    .command('list')
    .description('show the distro × runtime matrix and what each combination supports')
    .option('--wide', 'every source of each combination, with config versions and what each needs (wider than 120 columns)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples([['crinit list', 'the matrix, within 120 columns'], ['crinit list --wide', 'every source of each combination'], ['crinit list --json', 'all of it, for scripts']]))
    .action(async (...args: unknown[]) => {
      const { runList } = await import('./describe-run.js');
      await (runList as (...a: unknown[]) => unknown)(...args);
    });
}
