import { cruise } from 'dependency-cruiser';

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

async function violations(forbidden: object[]): Promise<{ modules: number; violations: Violation[] }> {
  const result = await cruise(['src'], {
    validate: true,
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    ruleSet: { forbidden },
  } as never);
  const output = result.output as { modules: unknown[]; summary: { violations: Violation[] } };
  return { modules: output.modules.length, violations: output.summary.violations };
}

// Fails on any import cycle in src/, `import type` included.
test('src/ has no import cycle', async () => {
  const { modules, violations: found } = await violations([{ name: 'no-cycle', severity: 'error', from: {}, to: { circular: true } }]);
  expect(modules).toBeGreaterThan(150);
  expect(found.map((v) => [v.from, ...(v.cycle ?? []).map((step) => step.name)].join(' → '))).toEqual([]);
});

/** src/'s folders from the bottom up: each imports only from its own layer and the layers below it. */
const LAYERS = [
  ['config.ts', 'logger.ts', 'registries'],
  ['db'],
  ['queue'],
  ['permissions'],
  ['events'],
  ['graphql'],
  ['core'],
  ['plugin-host'],
  ['http'],
  ['app'],
  ['sdk'],
  ['seed', 'server.ts'],
];

const pathOf = (names: string[]) => `^src/(${names.map((n) => n.replace('.', '\\.')).join('|')})(/|$)`;

test('each folder of src/ imports only the folders below it', async () => {
  const rules = LAYERS.slice(0, -1).map((names, i) => ({
    name: `${names.join(', ')} must not import ${LAYERS.slice(i + 1)
      .flat()
      .join(', ')}`,
    severity: 'error',
    from: { path: pathOf(names) },
    to: { path: pathOf(LAYERS.slice(i + 1).flat()) },
  }));
  const { violations: found } = await violations(rules);
  expect(found.map((v) => `${v.from} → ${v.to}`)).toEqual([]);

  // the rules can fail: the same check with the order reversed finds imports
  const reversed = await violations([
    { name: 'core above db', severity: 'error', from: { path: pathOf(['core']) }, to: { path: pathOf(['db']) } },
  ]);
  expect(reversed.violations.length).toBeGreaterThan(0);
});

test('the layers name every folder and root file of src/', async () => {
  const { readdirSync } = await import('node:fs');
  const entries = readdirSync('src').filter((name) => !name.endsWith('.md'));
  expect(entries.sort()).toEqual(LAYERS.flat().sort());
});
