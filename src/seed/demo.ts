import type { EntityManager, Orm } from '../db/orm.js';
import {
  COMPANY_TIERS,
  CONTACT_CHANNELS,
  CONTACT_REGIONS,
  generateCustomers,
  insertStatements,
  Rng,
  TABLES,
  type Row,
  type TableName,
  type TableSpec,
} from './generate.js';
import { TAGS } from './names.js';
import { hashPassword } from '../core/auth/passwords.js';
import { setTenantContext } from '../db/rls/tenant-context.js';

export const DEMO_WORKSPACE_SLUG = 'demo';
export const DEMO_OWNER_EMAIL = 'admin@demo.example';
/** Every demo member signs in with this password (demo data only: never seed a production database). */
export const DEMO_PASSWORD = 'demo-password';

export const DEMO_SIZES = { companies: 300, contacts: 600, activities: 4000 };

const DEMO_USERS: { name: string; email: string; role: string }[] = [
  { name: 'Alex Admin', email: DEMO_OWNER_EMAIL, role: 'OWNER' },
  { name: 'Morgan Manager', email: 'morgan.manager@demo.example', role: 'MANAGER' },
  { name: 'Sam Seller', email: 'sam.seller@demo.example', role: 'SALES' },
  { name: 'Riley Rep', email: 'riley.rep@demo.example', role: 'SALES' },
  { name: 'Jordan Closer', email: 'jordan.closer@demo.example', role: 'SALES' },
  { name: 'Casey Support', email: 'casey.support@demo.example', role: 'SUPPORT' },
  { name: 'Taylor Helpdesk', email: 'taylor.helpdesk@demo.example', role: 'SUPPORT' },
  { name: 'Quinn Marketer', email: 'quinn.marketer@demo.example', role: 'MARKETING' },
];

const DEMO_TEAMS: { name: string; roles: string[] }[] = [
  { name: 'Sales', roles: ['SALES', 'MANAGER'] },
  { name: 'Customer Support', roles: ['SUPPORT'] },
  { name: 'Marketing', roles: ['MARKETING', 'MANAGER'] },
];

interface FieldDef {
  objectType: 'Company' | 'Contact';
  key: string;
  label: string;
  type: string;
  options?: readonly string[];
  min?: number;
  max?: number;
  currency?: string;
}

const DEMO_FIELDS: FieldDef[] = [
  { objectType: 'Company', key: 'tier', label: 'Tier', type: 'SELECT', options: COMPANY_TIERS },
  { objectType: 'Company', key: 'contractValue', label: 'Contract value', type: 'MONEY', min: 0, currency: 'USD' },
  { objectType: 'Company', key: 'renewalDate', label: 'Renewal date', type: 'DATE' },
  { objectType: 'Contact', key: 'region', label: 'Region', type: 'SELECT', options: CONTACT_REGIONS },
  { objectType: 'Contact', key: 'npsScore', label: 'NPS score', type: 'NUMBER', min: 0, max: 10 },
  { objectType: 'Contact', key: 'preferredChannel', label: 'Preferred channel', type: 'SELECT', options: CONTACT_CHANNELS },
];

const label = (value: string) => value[0]!.toUpperCase() + value.slice(1);

/**
 * Seeds the demo workspace (`X-Workspace: demo`) on an empty database: members, teams, tags, custom fields,
 * ~300 companies, ~600 contacts, ~4000 activities on their timelines, and comments. Returns the row counts,
 * or null when any workspace already exists.
 */
export async function seedDemoIfEmpty(orm: Orm, sizes = DEMO_SIZES): Promise<Record<string, number> | null> {
  return (orm.em.fork() as EntityManager).transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(4243)');
    const existing = await em.execute<{ id: string }[]>('select id from workspace limit 1');
    if (existing.length) return null;

    const rng = new Rng(20261123);
    const now = new Date();
    const iso = now.toISOString();
    const workspaceId = rng.uuid();
    await em.execute('insert into workspace (id, name, slug, default_currency, created_at, updated_at) values (?, ?, ?, ?, ?, ?)', [
      workspaceId,
      'Demo Inc',
      DEMO_WORKSPACE_SLUG,
      'USD',
      iso,
      iso,
    ]);
    // the workspace's rows are written under row-level security (the API's role on PostgreSQL)
    await setTenantContext(em, { workspaceId });

    // users are global (unique email): keep any that already exist
    const userRows: Row[] = DEMO_USERS.map((u) => [rng.uuid(), u.email, u.name, iso, iso]);
    await write(
      em,
      {
        table: 'app_user',
        columns: ['id', 'email', 'name', 'created_at', 'updated_at'],
        casts: { id: 'uuid', created_at: 'timestamptz', updated_at: 'timestamptz' },
      },
      userRows,
      true,
    );
    const users = await em.execute<{ id: string; email: string }[]>(
      `select id, email from app_user where email in (${DEMO_USERS.map(() => '?').join(', ')})`,
      DEMO_USERS.map((u) => u.email),
    );
    const userId = new Map(users.map((u) => [u.email, u.id]));
    await em.execute(
      `update app_user set password_hash = ? where password_hash is null and email in (${DEMO_USERS.map(() => '?').join(', ')})`,
      [await hashPassword(DEMO_PASSWORD), ...DEMO_USERS.map((u) => u.email)],
    );
    const members = DEMO_USERS.map((u) => ({ ...u, id: userId.get(u.email)! }));

    const counts: Record<string, number> = { workspaces: 1, users: members.length };
    counts.memberships = await write(
      em,
      {
        table: 'membership',
        columns: ['id', 'workspace_id', 'user_id', 'role', 'created_at', 'updated_at'],
        casts: { id: 'uuid', workspace_id: 'uuid', user_id: 'uuid', created_at: 'timestamptz', updated_at: 'timestamptz' },
      },
      members.map((m) => [rng.uuid(), workspaceId, m.id, m.role, iso, iso]),
    );

    const teamRows: Row[] = [];
    const teamMemberRows: Row[] = [];
    for (const team of DEMO_TEAMS) {
      const teamId = rng.uuid();
      teamRows.push([teamId, workspaceId, team.name, iso, iso]);
      for (const m of members.filter((m) => team.roles.includes(m.role)))
        teamMemberRows.push([rng.uuid(), workspaceId, teamId, m.id, iso, iso]);
    }
    counts.teams = await write(
      em,
      {
        table: 'team',
        columns: ['id', 'workspace_id', 'name', 'created_at', 'updated_at'],
        casts: { id: 'uuid', workspace_id: 'uuid', created_at: 'timestamptz', updated_at: 'timestamptz' },
      },
      teamRows,
    );
    counts.teamMembers = await write(
      em,
      {
        table: 'team_member',
        columns: ['id', 'workspace_id', 'team_id', 'user_id', 'created_at', 'updated_at'],
        casts: { id: 'uuid', workspace_id: 'uuid', team_id: 'uuid', user_id: 'uuid', created_at: 'timestamptz', updated_at: 'timestamptz' },
      },
      teamMemberRows,
    );

    const tags = TAGS.map((t) => ({ ...t, id: rng.uuid() }));
    counts.tags = await write(
      em,
      {
        table: 'tag',
        columns: ['id', 'workspace_id', 'name', 'normalized_name', 'color', 'created_at', 'updated_at'],
        casts: { id: 'uuid', workspace_id: 'uuid', created_at: 'timestamptz', updated_at: 'timestamptz' },
      },
      tags.map((t) => [t.id, workspaceId, t.name, t.name.toLowerCase(), t.color, iso, iso]),
    );

    counts.customFields = await write(
      em,
      {
        table: 'custom_field_definition',
        columns: [
          'id',
          'workspace_id',
          'object_type',
          'key',
          'label',
          'type',
          'required',
          'options',
          'min',
          'max',
          'currency',
          'position',
          'created_at',
          'updated_at',
        ],
        casts: {
          id: 'uuid',
          workspace_id: 'uuid',
          type: 'custom_field_type',
          options: 'jsonb',
          created_at: 'timestamptz',
          updated_at: 'timestamptz',
        },
      },
      DEMO_FIELDS.map((f, i) => [
        rng.uuid(),
        workspaceId,
        f.objectType,
        f.key,
        f.label,
        f.type,
        false,
        JSON.stringify((f.options ?? []).map((o) => ({ value: o, label: label(o) }))),
        f.min ?? null,
        f.max ?? null,
        f.currency ?? null,
        i,
        iso,
        iso,
      ]),
    );

    const salesPeople = members.filter((m) => ['OWNER', 'MANAGER', 'SALES'].includes(m.role)).map((m) => m.id);
    const generated = { company: 0, companyTag: 0, contact: 0, contactTag: 0, activity: 0, timelineLink: 0, comment: 0 } satisfies Record<
      TableName,
      number
    >;
    for (const chunk of generateCustomers({
      seed: 7,
      workspaceId,
      userIds: salesPeople,
      companyTagIds: tags.filter((t) => t.on !== 'Contact').map((t) => t.id),
      contactTagIds: tags.filter((t) => t.on !== 'Company').map((t) => t.id),
      ...sizes,
      now,
    })) {
      for (const table of Object.keys(generated) as TableName[]) generated[table] += await write(em, TABLES[table], chunk[table]);
    }
    return {
      ...counts,
      companies: generated.company,
      contacts: generated.contact,
      activities: generated.activity,
      timelineLinks: generated.timelineLink,
      comments: generated.comment,
      companyTags: generated.companyTag,
      contactTags: generated.contactTag,
    };
  });
}

async function write(em: EntityManager, spec: TableSpec, rows: Row[], onConflictDoNothing = false): Promise<number> {
  for (const statement of insertStatements(spec, rows, { batch: 500, onConflictDoNothing })) {
    await em.execute(statement.text, statement.params);
  }
  return rows.length;
}
