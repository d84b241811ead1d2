/**
 * @fileoverview The render phase: every plan file gets its contents.
 */
import type { NodePlan, RenderedFile, RenderedPlan } from '../plan/types.js';
import { renderTemplate } from './handlebars.js';

export function renderPlan(plan: NodePlan, annotate = false): RenderedPlan {
  const files: RenderedFile[] = plan.files.map(({ source, ...rest }) => ({
    ...rest,
    contents: 'inline' in source ? source.inline : renderTemplate(source.template, source.context, annotate),
  }));
  return { ...plan, files, ...(annotate ? { annotate } : {}) };
}
