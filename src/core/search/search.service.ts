import { eventsOf } from '../../events/registry.js';
import type { EntityClass } from '@mikro-orm/core';
import { readColumns } from '../../db/read-rows.js';
import { Company } from '../customers/company.entity.js';
import { Contact } from '../customers/contact.entity.js';
import { sql } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { InputRejected } from '../../graphql/errors.js';
import { foldText, phoneDigits } from './search-text.js';
import { canSearchOn, COMPANY_SCOPE, CONTACT_SCOPE, readScopeSql, visibleSearchText, type RecordScope } from '../customers/record-scope.js';
import {
  kernelSearchProviders,
  searchProvidersOf,
  trigramSearch,
  type SearchProvider,
  type SearchRequest,
  type SearchResult,
} from './search-provider.js';

export const MAX_QUERY_LENGTH = 200;
export const MAX_HITS = 100;
/** Word-similarity threshold for fuzzy matches: 0.5 lets one typo through in words of 5+ letters. */
const FUZZY_THRESHOLD = 0.5;
const PHONE_LIKE = /^\+?[\d\s().\-/]+$/;

/** Which field a hit matched, judged on the folded field values. */
export function matchedField(term: string, isPhone: boolean, fields: [string, (string | null | undefined)[]][]): string | null {
  const candidates = fields.map(
    ([name, values]) =>
      [name, values.filter((v): v is string => !!v).map((v) => (name === 'phone' ? phoneDigits(v) : foldText(v)))] as const,
  );
  const test = [
    (v: string) => v === term,
    (v: string) => v.startsWith(term) || v.split(/[\s@.\-_]+/).some((w) => w.startsWith(term)),
    (v: string) => v.includes(term),
  ];
  for (const t of test) {
    for (const [name, values] of candidates) {
      if (isPhone && name !== 'phone') continue;
      if (values.some(t)) return name;
    }
  }
  // fuzzy: the field sharing the query's first letters
  const head = term.slice(0, 2);
  return candidates.find(([, values]) => values.some((v) => v.split(/[\s@.\-_]+/).some((w) => w.startsWith(head))))?.[0] ?? null;
}

/**
 * A provider over a kernel table with a `search_text` column; `fields` tells which field a hit matched on. It
 * searches only records in the caller's read scope (in SQL), skips its type when the caller cannot read it, and
 * does not match on fields the caller's allowlist hides (email, phone digits).
 */
function tableSearchProvider<T extends object>(options: {
  key: string;
  typeName: string;
  entity: EntityClass<T>;
  table: string;
  scope: RecordScope;
  fields: (record: T) => [string, (string | null | undefined)[]][];
}): SearchProvider {
  return {
    key: options.key,
    typeName: options.typeName,
    async search(ctx, request) {
      if (!ctx.principal.access.can(options.scope.read)) return [];
      // a phone number is matched on phone digits only: nothing to match when they are hidden
      if (request.isPhone && !canSearchOn(ctx, options.typeName, 'phone')) return [];
      const hidden = new Set(['email', 'phone'].filter((key) => !canSearchOn(ctx, options.typeName, key)));
      const rows = await trigramSearch(ctx.em, options.entity, {
        table: options.table,
        alias: 'c',
        select: readColumns(ctx.em, options.entity, 'c'),
        where: sql`c.workspace_id = ${request.workspaceId} and c.deleted_at is null and ${readScopeSql(ctx, options.scope, 'c')}`,
        text: visibleSearchText(ctx, options.typeName, 'c'),
        term: request.term,
        fuzzy: !request.isPhone,
        limit: request.limit,
      });
      return rows.map(({ entity, score }) => ({
        node: entity,
        score,
        matchedOn: matchedField(
          request.term,
          request.isPhone,
          options.fields(entity).filter(([name]) => !hidden.has(name)),
        ),
      }));
    },
  };
}

export const companySearchProvider = tableSearchProvider({
  key: 'COMPANY',
  typeName: 'Company',
  entity: Company,
  table: 'company',
  scope: COMPANY_SCOPE,
  fields: (c) => [
    ['name', [c.name]],
    ['domain', c.domains],
    ['phone', c.phones.map((p) => p.number)],
  ],
});

export const contactSearchProvider = tableSearchProvider({
  key: 'CONTACT',
  typeName: 'Contact',
  entity: Contact,
  table: 'contact',
  scope: CONTACT_SCOPE,
  fields: (c) => [
    ['name', [[c.firstName, c.lastName].filter(Boolean).join(' ')]],
    ['email', c.emails.map((e) => e.email)],
    ['phone', c.phones.map((p) => p.number)],
  ],
});

kernelSearchProviders.register(companySearchProvider);
kernelSearchProviders.register(contactSearchProvider);

/** Searches every registered (or the requested) record type and merges the hits by score. */
export async function search(ctx: RequestContext, query: string, first: number, types?: string[] | null): Promise<SearchResult[]> {
  const workspaceId = workspaceOf(ctx);
  const folded = foldText(query ?? '');
  if (!folded) throw InputRejected.one('query', 'must not be empty');
  if (query.length > MAX_QUERY_LENGTH) throw InputRejected.one('query', `must be at most ${MAX_QUERY_LENGTH} characters`);
  if (first < 1 || first > MAX_HITS) throw InputRejected.one('first', `must be between 1 and ${MAX_HITS}`);
  const digits = phoneDigits(folded);
  const isPhone = PHONE_LIKE.test(folded) && digits.length >= 3;
  const request: SearchRequest = { workspaceId, term: isPhone ? digits : folded, isPhone, limit: first };
  // a plugin's provider only where the plugin is enabled (its hits' types are not in other workspaces' schemas)
  const registered = searchProvidersOf(ctx.em).providers(types);
  const enabled = await Promise.all(registered.map((p) => eventsOf(ctx.em).isPluginEnabled(workspaceId, p.plugin)));
  const providers = registered.filter((_, i) => enabled[i]);
  const hits = await ctx.em.transactional(async (em) => {
    const tx = { ...ctx, em } as RequestContext;
    // SET LOCAL keeps the threshold to this transaction (pooled connections are shared)
    await em.execute(`select set_config('pg_trgm.word_similarity_threshold', '${FUZZY_THRESHOLD}', true)`);
    const all: SearchResult[] = [];
    // sequential: one connection per transaction
    for (const provider of providers) all.push(...(await provider.search(tx, request)));
    return all;
  });
  return hits.sort((a, b) => b.score - a.score).slice(0, first);
}
