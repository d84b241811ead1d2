#!/usr/bin/env node
// Copies the Handlebars runtime (handlebars/dist/handlebars.runtime.js, one file with its MIT
// license at the top) into dist/vendor/. The templates are precompiled at build time by the same
// pinned handlebars (a devDependency, scripts/build-templates.mjs), so an install needs only this
// file: not the compiler, uglify-js or source-map it brings. Run by `npm run build`.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const source = join(dirname(require.resolve('handlebars/package.json')), 'dist', 'handlebars.runtime.js');
mkdirSync(join(root, 'dist', 'vendor'), { recursive: true });
copyFileSync(source, join(root, 'dist', 'vendor', 'handlebars.runtime.cjs'));
