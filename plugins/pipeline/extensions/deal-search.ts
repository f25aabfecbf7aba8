import { likeEscape, raw, readColumns, readRow, scopeSql, sql, type SearchProvider } from '../../../src/sdk/index.js';
import { Deal } from '../entities.js';
import { DEAL, DEAL_SCOPE } from '../deals/deal-scope.js';

/**
 * `search(query:)` over live deal names (trigram index on lower(name)), in the caller's deal:read scope, only where
 * the plugin is enabled (the kernel asks a plugin's providers only there). Scores (0.2..1) rank exact and prefix matches above substrings and fuzzy matches.
 */
export const dealSearchProvider: SearchProvider = {
  key: 'DEAL',
  typeName: DEAL,
  async search(ctx, request) {
    if (request.isPhone || !ctx.principal.access.can(DEAL_SCOPE.read)) return [];
    const term = request.term;
    const name = sql`lower(d.name)`;
    const q = sql`select ${raw(readColumns(ctx.em, Deal, 'd'))},
        (case when ${name} = ${term} then 1.0 when ${name} like ${`${likeEscape(term)}%`} then 0.8
              when ${name} like ${`%${likeEscape(term)}%`} then 0.6 else 0.2 + 0.2 * similarity(${name}, ${term}) end) as _score
      from deal d
      where d.workspace_id = ${request.workspaceId} and d.deleted_at is null and ${scopeSql(ctx, DEAL_SCOPE, DEAL_SCOPE.read, 'd')}
        and (${name} like ${`%${likeEscape(term)}%`} or ${name} % ${term})
      order by _score desc, d.id limit ${request.limit}`;
    const rows = await ctx.em.execute<Record<string, unknown>[]>(q.text, q.params);
    return rows.map((row) => {
      const score = Number(row._score);
      delete row._score;
      return { node: readRow(ctx.em, Deal, row), score, matchedOn: 'name' };
    });
  },
};
