import { readRow } from '../../db/read-rows.js';
import type { EntityClass } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { registerEnumType } from 'type-graphql';
import { Sql, sql, raw, likeEscape } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import { AppSlot, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { ContributionRegistry, KERNEL_OWNER } from '../../registries/contribution-registry.js';

/** What a provider is asked: the folded query, or the digits of a phone-like query. */
export interface SearchRequest {
  workspaceId: string;
  /** Query folded with foldText(), or only its digits when the query looks like a phone number. */
  term: string;
  isPhone: boolean;
  limit: number;
}

export interface SearchResult {
  /** A root object whose class is registered as a node type (e.g. a Company entity). */
  node: object;
  /** 0..1, higher is better; comparable across providers. */
  score: number;
  matchedOn: string | null;
}

/**
 * A searchable record type. The kernel registers companies and contacts; plugins register theirs. A provider must
 * apply its type's read permission and record scope inside its query (return nothing when the caller cannot read
 * the type), and must not match on fields the caller's allowlist hides.
 */
export interface SearchProvider {
  /** Value of the `SearchableType` GraphQL enum, e.g. `COMPANY`. */
  key: string;
  /** GraphQL type name of the hits' nodes. */
  typeName: string;
  search(ctx: RequestContext, request: SearchRequest): Promise<SearchResult[]>;
}

/** GraphQL enum values of searchable types; registering a provider before the schema is built adds its value. */
export const SearchableType: Record<string, string> = {};
registerEnumType(SearchableType, { name: 'SearchableType', description: 'Record types `search` looks through.' });

export type RegisteredSearchProvider = SearchProvider & { plugin: string };

/** Search providers by key, owner-stamped: the kernel's in `kernelSearchProviders`, each app's plugins' over them. */
export class SearchRegistry {
  readonly #providers: ContributionRegistry<RegisteredSearchProvider>;

  constructor(base?: SearchRegistry) {
    this.#providers = new ContributionRegistry('search provider', base ? base.#providers : undefined);
  }

  /** `plugin`: the plugin the provider belongs to (searched only in workspaces where it is enabled), else the kernel. */
  register(provider: SearchProvider, plugin = KERNEL_OWNER): void {
    this.#providers.add(plugin, provider.key, { ...provider, search: provider.search.bind(provider), plugin });
    SearchableType[provider.key] = provider.key;
  }

  providers(keys?: string[] | null): RegisteredSearchProvider[] {
    const all = this.#providers.entries().map(([, provider]) => provider);
    return keys?.length ? all.filter((p) => keys.includes(p.key)) : all;
  }
}

export const kernelSearchProviders = new SearchRegistry();

export const SEARCH_PROVIDERS_SLOT = new AppSlot<SearchRegistry>('search providers');

export function searchProvidersOf(em: AppScoped): SearchRegistry {
  return lookupInApp(em, SEARCH_PROVIDERS_SLOT) ?? kernelSearchProviders;
}

/**
 * Runs a synchronous schema build with the `SearchableType` enum narrowed to the kernel's providers and the given
 * plugin provider keys (those of the enabled plugins): type-graphql reads the enum object while building, so a
 * workspace's schema lists only what its `search` can return.
 */
export function withSearchableTypesOf<T>(pluginProviderKeys: readonly string[], build: () => T): T {
  const all = { ...SearchableType };
  for (const key of Object.keys(SearchableType)) delete SearchableType[key];
  for (const provider of kernelSearchProviders.providers()) SearchableType[provider.key] = provider.key;
  for (const key of pluginProviderKeys) SearchableType[key] = key;
  try {
    return build();
  } finally {
    for (const key of Object.keys(SearchableType)) delete SearchableType[key];
    Object.assign(SearchableType, all);
  }
}
/** Rows matching every word that are ranked per query; beyond it, arbitrary matching rows are left out. */
const CANDIDATE_LIMIT = 500;

/** Escapes regular-expression syntax in user text. */
export const regexEscape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface TrigramSearchOptions {
  table: string;
  alias: string;
  /** Selected columns (full rows for em.map). */
  select: string;
  /** Tenant, liveness and record-scope conditions. */
  where: Sql;
  /**
   * SQL expression over the alias for the folded text to match (default `<alias>.search_text`); callers pass a
   * narrower one when some fields are hidden from the caller.
   */
  text?: string;
  term: string;
  /** Also look for typos (`term <% search_text`) when exact matching finds too few hits. */
  fuzzy: boolean;
  limit: number;
}

/**
 * Ranked search over a table with a folded `search_text` column (GIN gin_trgm_ops index), in two stages so
 * the expensive scoring only runs on few rows:
 * 1. every word of the term occurs in the text (LIKE '%word%', served by the trigram index; words shorter than
 *    a trigram must start a word). Scored 0.2..1: the whole term as a whole word at the start of the text best,
 *    then whole word, prefix, word prefix, substring; ties broken by word similarity.
 * 2. only when stage 1 found fewer than `limit` hits: fuzzy matches (`term <% search_text`, word similarity ≥ the
 *    transaction's pg_trgm.word_similarity_threshold), scored 0..0.2 so they always rank below stage 1.
 */
export async function trigramSearch<T extends object>(
  em: SqlEntityManager,
  entity: EntityClass<T>,
  options: TrigramSearchOptions,
): Promise<{ entity: T; score: number }[]> {
  const { alias: a, term } = options;
  const st = raw(options.text ?? `${a}.search_text`);
  const words = [...new Set(term.split(' ').filter(Boolean))].slice(0, 8);
  const word = (w: string) => `\\m${regexEscape(w)}`;
  const allWords = Sql.and(words.map((w) => (w.length < 3 ? sql`${st} ~ ${word(w)}` : sql`${st} like ${`%${likeEscape(w)}%`}`)));
  const whole = regexEscape(term);
  const termTier = sql`case when ${st} ~ ${`^\\m${whole}\\M`} then 3 when ${st} ~ ${`\\m${whole}\\M`} then 2.5 when ${st} like ${`${likeEscape(term)}%`} then 2 when ${st} ~ ${`\\m${whole}`} then 1.5 when ${st} like ${`%${likeEscape(term)}%`} then 1 else 0 end`;
  const wordTiers = Sql.join(
    words.map((w) => sql`(case when ${st} ~ ${`${word(w)}\\M`} then 2 when ${st} ~ ${word(w)} then 1 else 0 end)`),
    ' + ',
  );
  // score a bounded candidate set: a very common term must not make every matching row go through the regexes
  const candidates = sql`(select * from ${raw(options.table)} ${raw(a)} where ${options.where} and ${allWords} limit ${CANDIDATE_LIMIT}) ${raw(a)}`;
  const exact = sql`select ${raw(options.select)}, (1 + greatest(${termTier}, (${wordTiers}) / ${raw(`${words.length}.0`)}) + word_similarity(${term}, ${st})) / 5.0 as _score from ${candidates} order by _score desc, ${raw(a)}.id limit ${options.limit}`;
  const hits = await scoredRows(em, entity, exact);
  if (!options.fuzzy || hits.length >= options.limit || term.length < 3) return hits;
  const fuzzyCandidates = sql`(select * from ${raw(options.table)} ${raw(a)} where ${options.where} and ${term} <% ${st} and not (${allWords}) limit ${CANDIDATE_LIMIT}) ${raw(a)}`;
  const fuzzy = sql`select ${raw(options.select)}, word_similarity(${term}, ${st}) / 5.0 as _score from ${fuzzyCandidates} order by _score desc, ${raw(a)}.id limit ${options.limit - hits.length}`;
  return [...hits, ...(await scoredRows(em, entity, fuzzy))];
}

async function scoredRows<T extends object>(
  em: SqlEntityManager,
  entity: EntityClass<T>,
  statement: Sql,
): Promise<{ entity: T; score: number }[]> {
  const rows = await em.execute<Record<string, unknown>[]>(statement.text, statement.params);
  return rows.map((row) => {
    const score = Number(row._score);
    delete row._score;
    return { entity: readRow(em, entity, row), score };
  });
}
