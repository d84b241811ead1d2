#!/usr/bin/env node
// Writes dist/cli/help.txt: what `crinit --help` prints, taken from the built program itself, so
// that src/cli.cts answers --help without loading the parser (as it answers --version).
// test/cli.test.ts holds the file to what the program prints. Run by `npm run build`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const { buildProgram } = await import(new URL('../dist/cli/program.js', import.meta.url).href);
const program = buildProgram();
let text = '';
program.configureOutput({ writeOut: (s) => (text += s), writeErr: () => {} });
program.outputHelp();
writeFileSync(fileURLToPath(new URL('../dist/cli/help.txt', import.meta.url)), text);
