/**
 * @fileoverview The one Handlebars environment that renders file contents. The templates are
 * precompiled at build time (scripts/build-templates.mjs) strict (a missing field is an error, not
 * an empty string), with no HTML escaping (the output is config files, not HTML) and only our
 * quoting helpers known; at run time only the Handlebars runtime is loaded, in an environment
 * isolated from the global one. The runtime is the one file the build copies into dist/vendor/
 * from the same pinned handlebars (scripts/vendor-runtime.mjs): an install carries no compiler.
 */
import { createRequire } from 'node:module';
import { aptString, commentText, envAssign, jsonString, shellWord, systemdEnv, systemdWord, tomlString } from './helpers.js';
import { TEMPLATE_HELPERS, TEMPLATE_SPECS } from './templates.generated.js';

const env = (createRequire(import.meta.url)('../vendor/handlebars.runtime.cjs') as typeof import('handlebars')).create();
/**
 * Each helper, refusing a value the context does not have: Handlebars' strict mode checks
 * `{{name}}` but not a helper's arguments, and a missing value must never become empty text.
 */
function helper(name: string, fn: (...values: unknown[]) => string): void {
  env.registerHelper(name, (...args: unknown[]) => {
    const values = args.slice(0, -1);
    if (values.some((v) => v === undefined)) throw new Error(`internal: a template passes ${name} a value its context does not have`);
    return fn(...values);
  });
}
helper('toml', (v) => tomlString(String(v)));
helper('json', (v) => jsonString(v));
helper('shell', (v) => shellWord(String(v)));
helper('systemd', (v) => systemdWord(String(v)));
helper('systemdEnv', (k, v) => systemdEnv(String(k), String(v)));
helper('apt', (v) => aptString(String(v)));
helper('comment', (v) => commentText(String(v)));
helper('envAssign', (k, v) => envAssign(String(k), String(v)));

/**
 * {{#note}}…{{/note}}: an explanation for a reader of the file, written only with --annotate.
 * By default outputs carry a one-line header and no notes, to stay small (EC2 takes 16 KiB of
 * user-data); the notes stay in the templates.
 */
env.registerHelper('note', function (this: unknown, options: Handlebars.HelperOptions) {
  return (options.data as { annotate?: boolean } | undefined)?.annotate === true ? options.fn(this) : '';
});

// The helpers the templates were compiled against are exactly the ones registered here.
if (TEMPLATE_HELPERS.some((h) => !(h in env.helpers))) throw new Error('internal: the precompiled templates name a helper the renderer lacks');

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** renderTemplate renders templates/<name> with the given context; annotated, with its notes. */
export function renderTemplate(name: string, context: Readonly<Record<string, unknown>>, annotate = false): string {
  let template = cache.get(name);
  if (!template) {
    const spec = TEMPLATE_SPECS[name];
    if (spec === undefined) throw new Error(`internal: unknown template ${name}`);
    template = env.template(spec as TemplateSpecification) as HandlebarsTemplateDelegate;
    cache.set(name, template);
  }
  return template(context, { data: { annotate } });
}
