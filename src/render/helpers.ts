/**
 * @fileoverview Quoting, one function per target format. Templates may only put user values
 * into files through these, so a quote, backslash or newline in a value can never end the
 * string it sits in.
 */

/** tomlString writes a TOML basic string ("…") with every character TOML requires escaped. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** jsonString writes a JSON string; JSON strings are also valid YAML double-quoted scalars. */
export function jsonString(value: unknown): string {
  return JSON.stringify(value);
}

/** shellWord quotes one word for POSIX sh: always single quotes, with ' written as '\''. */
export function shellWord(value: string): string {
  if (value.includes('\0')) throw new Error('a shell word cannot hold a NUL byte');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * shellArg writes one word for POSIX sh: as it is when it is made only of characters that sh
 * gives no meaning to in an argument (letters, digits and `_@%+=:,./-`, the set of Python's
 * shlex.quote), else as shellWord does. Bare, `=` would make an assignment of a command's first
 * word: callers write the command's path first.
 */
export function shellArg(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : shellWord(value);
}

/**
 * systemdWord quotes one word of a unit file's command line (ExecStart=): double quotes with
 * \\ and \" escaped, `%` doubled (specifiers) and `$` doubled (environment expansion), so the
 * program receives the value exactly. Line breaks cannot be carried and are refused.
 */
export function systemdWord(value: string): string {
  if (/[\0\n\r]/.test(value)) throw new Error('a systemd command-line word cannot hold a NUL or a line break');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/**
 * systemdEnv writes one assignment of a unit's Environment= line: "KEY=value" in double quotes,
 * with \\ and \" escaped and `%` doubled (specifiers). systemd does not expand `$` there.
 */
export function systemdEnv(key: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`not an environment variable name: ${key}`);
  if (/[\0\n\r]/.test(value)) throw new Error('a systemd Environment= value cannot hold a NUL or a line break');
  return `"${key}=${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
}

/** aptString writes an apt.conf(5) string. apt has no escapes inside quotes: a quote or line break is refused. */
export function aptString(value: string): string {
  if (/["\0\n\r]/.test(value)) throw new Error('an apt.conf string cannot hold a quote or a line break');
  return `"${value}"`;
}

export { commentText } from '../profile/formats.js';

/**
 * envAssign writes one KEY='value' line that systemd's EnvironmentFile= and sh read alike: single
 * quotes, inside which neither expands anything. A value that holds a quote or a line break is
 * refused (proxy URLs are checked before they get here and hold neither).
 */
export function envAssign(key: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`not an environment variable name: ${key}`);
  if (/['\\\0\n\r]/.test(value)) throw new Error('an environment file value cannot hold a quote, a backslash or a line break');
  return `${key}='${value}'`;
}
