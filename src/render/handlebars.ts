/**
 * @fileoverview The one Handlebars environment that renders file contents. It is isolated from
 * the global instance, strict (a missing field is an error, not an empty string), does no HTML
 * escaping (the output is config files, not HTML), and knows only our quoting helpers.
 */
import Handlebars from 'handlebars';
import { ASSETS } from '../assets.generated.js';
import { aptString, commentText, envAssign, jsonString, shellWord, systemdEnv, systemdWord, tomlString } from './helpers.js';

const KNOWN_HELPERS = { toml: true, json: true, shell: true, systemd: true, systemdEnv: true, apt: true, comment: true, envAssign: true } as const;

const env = Handlebars.create();
env.registerHelper('toml', (v: unknown) => tomlString(String(v)));
env.registerHelper('json', (v: unknown) => jsonString(v));
env.registerHelper('shell', (v: unknown) => shellWord(String(v)));
env.registerHelper('systemd', (v: unknown) => systemdWord(String(v)));
env.registerHelper('systemdEnv', (k: unknown, v: unknown) => systemdEnv(String(k), String(v)));
env.registerHelper('apt', (v: unknown) => aptString(String(v)));
env.registerHelper('comment', (v: unknown) => commentText(String(v)));
env.registerHelper('envAssign', (k: unknown, v: unknown) => envAssign(String(k), String(v)));

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** renderTemplate renders templates/<name> with the given context. */
export function renderTemplate(name: string, context: Readonly<Record<string, unknown>>): string {
  let template = cache.get(name);
  if (!template) {
    const source = ASSETS[`templates/${name}`];
    if (source === undefined) throw new Error(`internal: unknown template ${name}`);
    template = env.compile(source, {
      strict: true,
      noEscape: true,
      knownHelpers: KNOWN_HELPERS,
      knownHelpersOnly: true,
    });
    cache.set(name, template);
  }
  return template(context);
}
