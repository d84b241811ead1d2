#!/usr/bin/env node
// Copies into dist/vendor/ the two runtime files crinit takes from pinned devDependencies, so
// that an install carries neither package with what it brings:
// - the Handlebars runtime (handlebars/dist/handlebars.runtime.js, one file with its MIT license
//   at the top). The templates are precompiled at build time by the same pinned handlebars
//   (scripts/build-templates.mjs), so no compiler, uglify-js or source-map is needed;
// - js-yaml's ES module (js-yaml/dist/js-yaml.mjs, one file with no imports), the reader of the
//   cloud-init backend's verify step (src/backends/cloud-init/pyyaml.ts). Its MIT license is put
//   at the top, since the file itself does not carry it.
// Run by `npm run build`.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));
mkdirSync(join(root, 'dist', 'vendor'), { recursive: true });
copyFileSync(join(packageDir('handlebars'), 'dist', 'handlebars.runtime.js'), join(root, 'dist', 'vendor', 'handlebars.runtime.cjs'));

const jsYaml = packageDir('js-yaml');
const { version } = JSON.parse(readFileSync(join(jsYaml, 'package.json'), 'utf8'));
const license = readFileSync(join(jsYaml, 'LICENSE'), 'utf8').trimEnd();
if (license.includes('*/')) throw new Error('vendor-runtime: js-yaml LICENSE would end its comment early');
const code = readFileSync(join(jsYaml, 'dist', 'js-yaml.mjs'), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
if (/^\s*import\b/m.test(code)) throw new Error('vendor-runtime: js-yaml.mjs imports a module; vendor it too or bundle');
writeFileSync(join(root, 'dist', 'vendor', 'js-yaml.mjs'), `/*! js-yaml ${version} https://github.com/nodeca/js-yaml\n\n${license}\n*/\n${code}`);
