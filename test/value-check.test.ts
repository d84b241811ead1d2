/**
 * The per-node check of fleets (prepareValueCheck) against the full one (checkValues): for
 * every value, the same diagnostics. Where the values stand only under keys of LOCAL_RULES the
 * prepared check re-runs only those rules; the rule-reads test holds every other rule to not
 * reading those keys, which is what makes that sound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkValues, prepareValueCheck } from '../dist/compile.js';
import { mergeLayers } from '../dist/profile/merge.js';
import { resolveProfile } from '../dist/profile/resolve.js';
import { applyRules, LOCAL_RULES, RULES } from '../dist/rules/index.js';

type Options = Parameters<typeof checkValues>[0];

const profile = (text: string, files: Record<string, string> = {}): Options => ({
  profile: { path: '/fleet/node.yaml', text },
  readFile: (p: string) => files[p],
});

const PROFILES: Record<string, Options> = {
  'a file path and content': profile('extends: ubuntu-24.04/containerd\nfiles:\n  - path: /etc/crinit-role/${role}\n    content: "node ${role}\\n"\n'),
  'an Ignition distro': profile('extends: fcos/cri-o\nfiles:\n  - path: /etc/${role}/x.conf\n    content: "${role}"\n    mode: "0640"\n'),
  'a layered profile with files in both layers': profile('extends: ./base.yaml\nfiles:\n  - path: /etc/node/${role}\n    content: "${zone}"\n', {
    '/fleet/base.yaml': 'extends: debian-12/containerd\nfiles:\n  - path: /etc/node/a\n    content: "base"\n',
  }),
  'a value outside files (the full check)': profile('extends: ubuntu-24.04/containerd\nruntime:\n  sandboxImage: registry.example.com/${role}:3.10\nfiles:\n  - path: /etc/x/${zone}\n    content: "x"\n'),
};

/** Values a fleet may carry (isSimpleValue's alphabet), with the paths crinit itself writes. */
const value = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._:/@+=,~-]{0,24}$/),
  fc.constantFrom('../../usr/local/sbin/crinit-step', '../../var/lib/crinit/steps', '../containerd/config.toml', '../../etc/containerd/config.toml', 'a', '', '.', '..', '/', 'UPPER::@@', 'a/../../b', '../modules-load.d/crinit.conf'),
);

const errorsOf = (ds: readonly { severity: string }[]) => ds.filter((d) => d.severity === 'error');

describe('prepareValueCheck gives what checkValues gives', () => {
  for (const [name, options] of Object.entries(PROFILES)) {
    it(name, () => {
      const prepared = prepareValueCheck(options);
      const names = ['role', 'zone'].filter((k) => JSON.stringify(options.profile).includes(`\${${k}}`));
      // The values under files: take the local check; one elsewhere takes the full one.
      expect(prepared.isLocal(names)).toBe(!name.includes('outside'));
      let refused = 0;
      fc.assert(
        fc.property(value, value, (role, zone) => {
          // A fleet checks the values its profile uses.
          const used = Object.fromEntries(Object.entries({ role, zone }).filter(([k]) => JSON.stringify(options.profile).includes(`\${${k}}`)));
          const full = checkValues(options, used);
          const fast = prepared(used);
          expect(errorsOf(fast)).toEqual(errorsOf(full));
          if (errorsOf(full).length > 0) refused++;
        }),
        { numRuns: 300 },
      );
      // The values reached both verdicts: the comparison covered refusals, not only passes.
      expect(refused).toBeGreaterThan(0);
    });
  }

  it("refuses the hostile value of issue 14 at crinit's own step runner", () => {
    const options = PROFILES['a file path and content']!;
    const found = errorsOf(prepareValueCheck(options)({ role: '../../usr/local/sbin/crinit-step' }));
    expect(found.length).toBeGreaterThan(0);
    expect(found).toEqual(errorsOf(checkValues(options, { role: '../../usr/local/sbin/crinit-step' })));
  });
});

describe('the rules of LOCAL_RULES keys are the only readers of them', () => {
  it('no other rule reads a LOCAL_RULES key of the merged profile', () => {
    const resolved = resolveProfile({ path: '/x/node.yaml', text: 'extends: ubuntu-24.04/containerd\nkubernetes: {version: "1.36"}\nfiles:\n  - path: /etc/a\n    content: b\n' }, {});
    const { data, origins } = mergeLayers(resolved.layers);
    const readers = new Map<string, Set<string>>();
    let current = '';
    const watched: Record<string, unknown> = { ...data };
    for (const key of Object.keys(LOCAL_RULES)) {
      readers.set(key, new Set());
      Object.defineProperty(watched, key, {
        enumerable: true,
        get: () => {
          readers.get(key)!.add(current);
          return (data as Record<string, unknown>)[key];
        },
      });
    }
    const saved = RULES.map((r) => r.run);
    try {
      RULES.forEach((r, i) => {
        (r as { run: typeof r.run }).run = (ctx) => {
          current = r.name;
          saved[i]!(ctx);
          current = '';
        };
      });
      const out = applyRules(watched as never, origins, resolved.chain);
      expect(out.profile).toBeDefined();
    } finally {
      RULES.forEach((r, i) => ((r as { run: typeof r.run }).run = saved[i]!));
    }
    for (const [key, rules] of Object.entries(LOCAL_RULES)) {
      // Read by its own rules, and by applyRules itself (the Profile it assembles) outside any rule.
      expect([...readers.get(key)!].filter((r) => r !== '').sort()).toEqual(rules.map((r) => r.name).sort());
    }
  });
});
