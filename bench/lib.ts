/** Timing, statistics and reporting helpers of the benchmark. */
import { performance } from 'node:perf_hooks';

export interface Stats {
  iterations: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  /** Operations per second, run one after another. */
  throughput: number;
  /** Every timing, sorted (ms). */
  samples: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(durationsMs: number[], totalMs: number): Stats {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  return {
    iterations: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((s, d) => s + d, 0) / Math.max(1, sorted.length),
    throughput: (sorted.length / totalMs) * 1000,
    samples: sorted,
  };
}

/** Runs `op(i)` `warmup` times unmeasured, then `iterations` times sequentially, timing each call. */
export async function measure(
  op: (i: number) => Promise<unknown>,
  { warmup, iterations }: { warmup: number; iterations: number },
): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await op(i);
  const durations: number[] = [];
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await op(warmup + i);
    durations.push(performance.now() - t);
  }
  return summarize(durations, performance.now() - start);
}

export class GraphQLFailure extends Error {}

/** A GraphQL client over real HTTP; throws on transport or GraphQL errors. */
export function graphqlClient(url: string, headers: Record<string, string>) {
  return async function gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) {
      throw new GraphQLFailure(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    }
    return body.data!;
  };
}

export const ms = (v: number | undefined | null) =>
  v == null || Number.isNaN(v) ? '–' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`;
export const perSecond = (v: number | undefined | null, unit = 'req/s') =>
  v == null || Number.isNaN(v) ? '–' : `${v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1)} ${unit}`;
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export function log(message: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
