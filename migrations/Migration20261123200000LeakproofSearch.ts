import { Migration } from '@mikro-orm/migrations';

/**
 * Under row-level security PostgreSQL evaluates a query's own conditions only after the policy's, unless they are
 * LEAKPROOF — and only then may they drive an index. The trigram search (LIKE, regex, `<%`, `%`) and the jsonb
 * filters would otherwise scan whole tables for the API's role. These functions raise no error that depends on
 * row data (only on the pattern, which the query supplies), so declaring them leakproof reveals nothing.
 * Only a superuser may do this: elsewhere the migration leaves a notice and search falls back to scans.
 */
const LEAKPROOF = [
  'textlike(text, text)',
  'textregexeq(text, text)',
  'word_similarity_op(text, text)',
  'word_similarity_commutator_op(text, text)',
  'similarity_op(text, text)',
  'jsonb_contains(jsonb, jsonb)',
  'jsonb_exists(jsonb, text)',
];

export class Migration20261123200000LeakproofSearch extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $$
begin
  if (select rolsuper from pg_roles where rolname = current_user) then
    ${LEAKPROOF.map((f) => `alter function ${f} leakproof;`).join('\n    ')}
  else
    raise notice 'not a superuser: search and jsonb filters cannot use their indexes under row-level security (see README)';
  end if;
end $$`);
  }
}
