import { cruise } from 'dependency-cruiser';

// Fails on any import cycle in src/, `import type` included.
test('src/ has no import cycle', async () => {
  const result = await cruise(['src'], {
    validate: true,
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    ruleSet: { forbidden: [{ name: 'no-cycle', severity: 'error', from: {}, to: { circular: true } }] },
  } as never);
  const output = result.output as { modules: { source: string }[]; summary: { violations: { from: string; cycle?: { name: string }[] }[] } };
  expect(output.modules.length).toBeGreaterThan(150);
  const cycles = output.summary.violations.map((v) => [v.from, ...(v.cycle ?? []).map((step) => step.name)].join(' → '));
  expect(cycles).toEqual([]);
});
