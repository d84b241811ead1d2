/**
 * @fileoverview Terraform templatefile() output. Terraform reads `${…}` and `%{…}` in a template
 * as interpolations and directives, and eats them in scripts and configs alike (terraform#1942,
 * #23674, #28280). Every literal `${` becomes `$${` and every `%{` becomes `%%{` (the HCL
 * template escapes); then the sentinels that stand for declared per-node variables turn into
 * live `${name}` interpolations.
 */
import { CODES, type Diagnostic } from './diagnostics.js';

/** hidden tells whether a variable's sentinel was encoded away (base64) and so cannot be filled. */
function hidden(text: string, sentinels: ReadonlyMap<string, string>, planJson: string): string[] {
  return [...sentinels].filter(([word]) => planJson.includes(word) && !text.includes(word)).map(([, name]) => name);
}

/**
 * templateFiller prepares to put values where the sentinels stand: what Terraform does with the
 * template, so a direct render and a Terraform render give the same bytes. The text is cut at
 * the sentinels once; each fill joins the pieces with the values. Undefined when a variable was
 * encoded away.
 */
export function templateFiller(text: string, sentinels: ReadonlyMap<string, string>, planJson: string): ((values: Readonly<Record<string, string>>) => string) | undefined {
  if (hidden(text, sentinels, planJson).length > 0) return undefined;
  if (sentinels.size === 0) return () => text;
  // Sentinels are words of letters and digits, none the start of another (crinittfvar{i}x).
  const pieces = text.split(new RegExp(`(${[...sentinels.keys()].join('|')})`));
  const names = pieces.map((p, i) => (i % 2 === 1 ? sentinels.get(p)! : ''));
  return (values) => {
    const out = pieces.slice();
    for (let i = 1; i < out.length; i += 2) out[i] = values[names[i]!] ?? '';
    // One flat string (a join), not a rope of concatenations that each reader must flatten.
    return out.join('');
  };
}

export function toTemplate(text: string, sentinels: ReadonlyMap<string, string>, planJson: string): { text?: string; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = hidden(text, sentinels, planJson).map((name) => ({
    severity: 'error' as const,
    code: CODES.variable,
    message: `the variable ${JSON.stringify(name)} is used in content that crinit has to encode (base64), so it cannot stay a Terraform interpolation`,
    hint: 'use per-node variables in plain text values only',
  }));
  if (diagnostics.length > 0) return { diagnostics };
  // (A replacer function: in a replacement string, `$$` would itself mean one `$`.)
  let out = text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
  for (const [word, name] of sentinels) {
    // Literal `$`s right before a live interpolation would pair with it into the `$${` escape,
    // so that run is written as the HCL string literal `${"$…"}` instead.
    out = out.replace(new RegExp(`(\\$*)${word}`, 'g'), (_m, dollars: string) => `${dollars ? `\${"${dollars}"}` : ''}\${${name}}`);
  }
  return { text: out, diagnostics };
}
