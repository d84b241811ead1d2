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
 * fillTemplate puts values where the sentinels stand: what Terraform does with the template, so
 * a direct render and a Terraform render give the same bytes. Undefined when a variable was
 * encoded away.
 */
export function fillTemplate(text: string, sentinels: ReadonlyMap<string, string>, planJson: string, values: Readonly<Record<string, string>>): string | undefined {
  if (hidden(text, sentinels, planJson).length > 0) return undefined;
  let out = text;
  for (const [word, name] of sentinels) out = out.split(word).join(values[name] ?? '');
  return out;
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
