/** @fileoverview Mirrors: a URL prefix maps to a URL prefix, an image prefix to an image prefix. */
import { CODES } from '../diagnostics.js';
import { joinPointer } from '../profile/source.js';
import type { Rule } from './context.js';

const isUrl = (x: string): boolean => /^https?:\/\//.test(x);

export const mirrors: Rule = {
  name: 'mirrors',
  run(ctx) {
    const mirrors = Object.entries(ctx.data.mirrors ?? {});
    for (const [from, to] of mirrors) {
      if (isUrl(from) !== isUrl(to)) {
        ctx.err(joinPointer(['mirrors', from]), `mirror ${JSON.stringify(from)} maps ${isUrl(from) ? 'a URL prefix to an image prefix' : 'an image prefix to a URL'}`, 'map a URL prefix to a URL prefix (https://pkgs.k8s.io/: https://mirror.example.com/k8s/), or an image prefix to an image prefix (registry.k8s.io/: registry.example.com/k8s/)', CODES.reference);
      } else if (from.endsWith('/') !== to.endsWith('/')) {
        ctx.err(joinPointer(['mirrors', from]), `mirror ${JSON.stringify(from)} and its target disagree on the trailing /`, 'end both with / (a directory prefix), or neither', CODES.reference);
      }
    }
    mirrors.sort(([a], [b]) => b.length - a.length || (a < b ? -1 : 1));
    ctx.parts.mirrors = mirrors;
  },
};
