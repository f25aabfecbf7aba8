import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../orm.js';

/** The role the API connects as on PostgreSQL when APP_DATABASE_URL is not given. */
export const APP_ROLE = 'crm_app';

/** Serializes provisioning in one database (grants on the same objects from parallel processes conflict). */
const PROVISION_LOCK = 4244;

/**
 * Creates (once, race-safely) and grants the application role, through the owner's connection after migrations:
 * LOGIN, NOSUPERUSER, NOBYPASSRLS, not the owner of anything, so row-level security applies to it. It may read and
 * write every table of the schema (present and future: default privileges of the owner), use its sequences, but
 * never UPDATE, DELETE or TRUNCATE the audit log, nor write the migrations table. Idempotent: runs at every start.
 *
 * `password`: set on the role when given (APP_DATABASE_PASSWORD); otherwise the role has none and connects only
 * where the server trusts local connections (CI, development) — production sets APP_DATABASE_URL or the password.
 */
export async function provisionAppRole(owner: Orm, options: { role?: string; password?: string | null } = {}): Promise<void> {
  const role = options.role ?? APP_ROLE;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`invalid application role name "${role}"`);
  const em = owner.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  try {
    await em.transactional(async (tx) => {
      const t = tx as SqlEntityManager;
      await t.execute('select pg_advisory_xact_lock(?)', [PROVISION_LOCK]);
      // the password travels as a bind parameter into a transaction-local setting, never spliced into SQL text
      await t.execute(`select set_config('crm.app_role', ?, true), set_config('crm.app_password', ?, true)`, [
        role,
        options.password ?? '',
      ]);
      // roles are cluster-wide: workers migrating other databases may create it at the same moment
      await t.execute(`do $$
        declare
          r text := current_setting('crm.app_role');
          pw text := nullif(current_setting('crm.app_password'), '');
        begin
          if not exists (select from pg_roles where rolname = r) then
            begin
              execute format('create role %I login nosuperuser nobypassrls nocreatedb nocreaterole noinherit', r);
            exception when duplicate_object or unique_violation then null;
            end;
          end if;
          if exists (select from pg_roles where rolname = r and (rolsuper or rolbypassrls or not rolcanlogin)) then
            execute format('alter role %I login nosuperuser nobypassrls', r);
          end if;
          if pw is not null then
            execute format('alter role %I password %L', r, pw);
          end if;
        end $$`);
      await t.execute(`do $$
        declare r text := current_setting('crm.app_role');
        begin
          execute format('grant connect, temporary on database %I to %I', current_database(), r);
          execute format('grant usage on schema %I to %I', current_schema(), r);
          execute format('grant select, insert, update, delete on all tables in schema %I to %I', current_schema(), r);
          execute format('grant usage, select on all sequences in schema %I to %I', current_schema(), r);
          execute format('alter default privileges in schema %I grant select, insert, update, delete on tables to %I', current_schema(), r);
          execute format('alter default privileges in schema %I grant usage, select on sequences to %I', current_schema(), r);
          if exists (select from pg_namespace where nspname = 'crm_rls') then
            execute format('grant usage on schema crm_rls to %I', r);
          end if;
          -- the privacy erasure's SQL helpers (migration 20261209010000Privacy)
          if exists (select from pg_namespace where nspname = 'crm_privacy') then
            execute format('grant usage on schema crm_privacy to %I', r);
            execute format('grant execute on all functions in schema crm_privacy to %I', r);
          end if;
          if to_regclass('audit_log') is not null then
            execute format('revoke update, delete, truncate on audit_log from %I', r);
          end if;
          if to_regclass('mikro_orm_migrations') is not null then
            execute format('revoke insert, update, delete, truncate on mikro_orm_migrations from %I', r);
          end if;
        end $$`);
    });
  } catch (error) {
    if ((error as { code?: string }).code === '42501') {
      throw new Error(
        `cannot provision the database role "${role}" (${(error as Error).message}): let DATABASE_URL's role create roles ` +
          '(CREATEROLE), or create a login role without superuser/BYPASSRLS yourself and set APP_DATABASE_URL',
        { cause: error },
      );
    }
    throw error;
  }
}

/** DATABASE_URL with the application role as its user (same host, port, database and options). */
export function appRoleUrl(ownerUrl: string, role = APP_ROLE, password?: string | null): string {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = password ? encodeURIComponent(password) : '';
  return url.toString();
}

export interface RoleFacts {
  role: string;
  superuser: boolean;
  bypassRls: boolean;
  /** Tables (or other relations) of the current schema it owns. */
  ownedRelations: number;
}

export async function roleFacts(orm: Orm): Promise<RoleFacts> {
  const rows = await orm.em.getConnection().execute<{ role: string; superuser: boolean; bypass_rls: boolean; owned: number }[]>(
    `select r.rolname as role, r.rolsuper as superuser, r.rolbypassrls as bypass_rls,
            (select count(*)::int from pg_class c where c.relowner = r.oid and c.relnamespace = (select n.oid from pg_namespace n where n.nspname = current_schema())) as owned
       from pg_roles r where r.rolname = current_user`,
  );
  const row = rows[0]!;
  return { role: row.role, superuser: row.superuser, bypassRls: row.bypass_rls, ownedRelations: Number(row.owned) };
}

/** Refuses to serve through a role that row-level security would not apply to. */
export async function assertAppRole(orm: Orm): Promise<void> {
  const facts = await roleFacts(orm);
  const problems = [
    facts.superuser && 'is a superuser',
    facts.bypassRls && 'has BYPASSRLS',
    facts.ownedRelations > 0 && `owns ${facts.ownedRelations} relations of the schema`,
  ].filter(Boolean);
  if (problems.length) {
    throw new Error(
      `the API's database role "${facts.role}" ${problems.join(', ')}: row-level security would not isolate workspaces. ` +
        'Point APP_DATABASE_URL at a login role that owns nothing and is neither superuser nor BYPASSRLS (or unset it to use crm_app).',
    );
  }
}
