/** @fileoverview The profile's own files, in merge order, each keyed by its files: entry. */
import type { Profile } from '../../profile/types.js';
import type { PlanFile } from '../types.js';
import type { BuildContext } from './context.js';

/** The profile's files as plan nodes; it reads nothing of the profile but files:. */
export function userFiles({ profile, at }: Pick<BuildContext, 'at'> & { readonly profile: Pick<Profile, 'files'> }): PlanFile[] {
  return profile.files.map((f, i) => {
    const [owner, group] = (f.owner ?? 'root:root').split(':') as [string, string | undefined];
    return {
      path: f.path,
      mode: parseInt(f.mode ?? '0644', 8),
      owner,
      group: group ?? owner,
      phase: f.when ?? 'before-packages',
      source: { inline: f.content },
      origin: at(`/files/${i}`),
      entry: `/files/${i}`,
    };
  });
}
