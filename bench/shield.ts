/**
 * Shield on/off: the same 1,000-contact list walked in pages of 200 through the real API and through the same
 * API built without graphql-shield, alternating rounds so both see the same machine load.
 */
import { measure, type Stats } from './lib.js';

/** Every field of the list that a front end shows in a table, with protected fields and relations (shield checks both). */
export const SHIELD_LIST = `query($after: String) { contacts(first: 200, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { id name firstName lastName jobTitle lifecycleStage marketingConsent doNotContact primaryEmail
    emails { email primary } phones { number primary } customFields createdAt updatedAt version
    company { id name } owner { id name } tags { name } } } }`;

export interface ShieldResult {
  rows: number;
  on: Stats;
  off: Stats;
  ratio: number;
}

type Client = (query: string, variables?: Record<string, unknown>) => Promise<any>;

/** Walks `rows` contacts page by page; fails if a page comes back short. */
async function walk(gql: Client, rows: number): Promise<void> {
  let after: string | null = null;
  let seen = 0;
  while (seen < rows) {
    const data: any = await gql(SHIELD_LIST, { after });
    seen += data.contacts.nodes.length;
    if (!data.contacts.pageInfo.hasNextPage) break;
    after = data.contacts.pageInfo.endCursor;
  }
  if (seen < rows) throw new Error(`expected ${rows} contacts, walked ${seen}`);
}

export async function runShieldCase(
  shielded: Client,
  unshielded: Client,
  opts: { warmup: number; iterations: number; rows?: number },
): Promise<ShieldResult> {
  const rows = opts.rows ?? 1000;
  const rounds = 4;
  const per = Math.max(5, Math.round(opts.iterations / 4 / rounds));
  const on: number[] = [];
  const off: number[] = [];
  await measure(() => walk(shielded, rows), { warmup: Math.max(3, Math.round(opts.warmup / 4)), iterations: 1 });
  await measure(() => walk(unshielded, rows), { warmup: Math.max(3, Math.round(opts.warmup / 4)), iterations: 1 });
  for (let r = 0; r < rounds; r++) {
    const a = await measure(() => walk(shielded, rows), { warmup: 0, iterations: per });
    const b = await measure(() => walk(unshielded, rows), { warmup: 0, iterations: per });
    on.push(...a.samples);
    off.push(...b.samples);
  }
  const stats = (samples: number[]): Stats => {
    const sorted = [...samples].sort((x, y) => x - y);
    const pick = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
    const mean = sorted.reduce((s, d) => s + d, 0) / sorted.length;
    return { iterations: sorted.length, p50: pick(50), p95: pick(95), p99: pick(99), mean, throughput: 1000 / mean, samples: sorted };
  };
  const onStats = stats(on);
  const offStats = stats(off);
  return { rows, on: onStats, off: offStats, ratio: onStats.p50 / offStats.p50 };
}
