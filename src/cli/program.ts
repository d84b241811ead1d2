/**
 * @fileoverview The command line's parser: every command's definition (src/cli/commands.ts) on
 * one commander program, and how its outcome becomes the exit code.
 */
import { Command, CommanderError } from 'commander';
import { CRINIT_VERSION } from '../version.generated.js';
import { CODES } from '../diagnostics.js';
import { examples, registerExport, registerList, registerManifest, registerRender, registerRuntimeClasses, registerServe, registerValidate } from './commands.js';
import { EXIT } from './io.js';

// The helper threads of `render --inventory` start from this program too (src/cli/worker.cts).
export { serveChecks } from './check-worker.js';
export { serveInventory } from './inventory-worker.js';

/** The width help text is wrapped to. */
export const HELP_WIDTH = 80;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('crinit')
    .description('Compile a node profile into first-boot configuration for a Kubernetes node.')
    .version(CRINIT_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // One width on every terminal, so that `crinit --help` can be answered from the text the
    // build wrote (dist/cli/help.txt) without loading this parser.
    .configureHelp({ helpWidth: HELP_WIDTH })
    .addHelpText(
      'after',
      examples([
        ['crinit list', 'what each distro and runtime supports'],
        ['crinit render ubuntu-24.04/containerd > user-data', 'a built-in profile'],
        ['crinit render node.yaml -o user-data', 'a profile file that extends a built-in one'],
        ['crinit validate node.yaml', 'every check, nothing written'],
        ['crinit render --inventory nodes.yaml -o out/', 'one output per machine of a fleet'],
      ]) + "\n\nRun `crinit help COMMAND` for a command's options and examples.",
    );
  registerRender(program);
  registerExport(program);
  registerValidate(program);
  registerServe(program);
  registerManifest(program);
  registerRuntimeClasses(program);
  registerList(program);
  program
    .command('completion')
    .description('print a shell completion script for crinit: its commands, options and built-in profiles')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      examples([
        ['crinit completion bash | sudo tee /etc/bash_completion.d/crinit', 'bash, for every user'],
        ['crinit completion zsh > "${fpath[1]}/_crinit"', 'zsh, into a directory of $fpath'],
      ]),
    )
    .action(async (shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') {
        process.stderr.write(`error: no completion for ${JSON.stringify(shell)}\n  hint: crinit completion bash, or crinit completion zsh\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      const { completionScript } = await import('./completion.js');
      process.stdout.write(completionScript(shell, program));
    });
  return program;
}

/** runProgram parses argv and runs the command; a usage error or a crash sets the exit code. */
export async function runProgram(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`error ${CODES.internal}: ${(e as Error).message}\n`);
    process.exitCode = EXIT.internal;
  }
}
