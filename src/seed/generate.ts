/**
 * Deterministic generator of realistic CRM rows (companies, contacts, activities, timeline links, comments),
 * shared by the demo seed and the benchmark. Rows come out as plain value arrays in the column order of
 * `TABLES`, in chunks, so callers can write them with multi-row INSERTs or COPY at any scale.
 */
import { companySearchText, contactSearchText } from '../core/search/search-text.js';
import type { EmailEntry, PhoneEntry, PostalAddress } from '../core/shared/value-objects.js';
import {
  CALL_OUTCOMES,
  CITIES,
  COMMENT_SNIPPETS,
  COMPANY_PREFIXES,
  COMPANY_ROOTS,
  FIRST_NAMES,
  INDUSTRIES,
  JOB_TITLES,
  LAST_NAMES,
  legalSuffixes,
  MEETING_KINDS,
  NOTE_SNIPPETS,
  SOURCES,
  STREETS,
  TOPICS,
  type CityInfo,
} from './names.js';

/** mulberry32: small, fast, good enough for test data, and the same sequence for the same seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  weighted<T>(list: readonly (readonly [T, number])[]): T {
    const total = list.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [value, w] of list) {
      x -= w;
      if (x < 0) return value;
    }
    return list[list.length - 1]![0];
  }
  /** Log-uniform integer: many small values, a few large ones (employee counts, revenues). */
  logInt(min: number, max: number): number {
    return Math.round(Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min))));
  }
  /** A version-4-shaped UUID from the generator's sequence. */
  uuid(): string {
    const h = () => ((this.next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    const a = h(),
      b = h(),
      c = h(),
      d = h();
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((parseInt(c[0]!, 16) & 3) | 8).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }
}

/** Column lists and SQL casts of the tables the generator fills (casts apply to multi-row INSERT parameters). */
export interface TableSpec {
  table: string;
  columns: string[];
  casts: Record<string, string>;
}

export const TABLES = {
  company: {
    table: 'company',
    columns: [
      'id',
      'workspace_id',
      'created_at',
      'updated_at',
      'version',
      'name',
      'domains',
      'primary_domain',
      'industry',
      'employee_count',
      'annual_revenue_amount',
      'annual_revenue_currency',
      'address',
      'phones',
      'website',
      'owner_id',
      'lifecycle_stage',
      'custom_fields',
      'search_text',
    ],
    casts: {
      created_at: 'timestamptz',
      updated_at: 'timestamptz',
      domains: 'text[]',
      annual_revenue_amount: 'bigint',
      address: 'jsonb',
      phones: 'jsonb',
      lifecycle_stage: 'lifecycle_stage',
      custom_fields: 'jsonb',
      id: 'uuid',
      workspace_id: 'uuid',
      owner_id: 'uuid',
    },
  },
  companyTag: { table: 'company_tag', columns: ['company_id', 'tag_id'], casts: { company_id: 'uuid', tag_id: 'uuid' } },
  contact: {
    table: 'contact',
    columns: [
      'id',
      'workspace_id',
      'created_at',
      'updated_at',
      'version',
      'first_name',
      'last_name',
      'emails',
      'primary_email',
      'phones',
      'job_title',
      'company_id',
      'address',
      'owner_id',
      'lifecycle_stage',
      'source',
      'marketing_consent',
      'consent_updated_at',
      'do_not_contact',
      'do_not_email',
      'do_not_call',
      'custom_fields',
      'search_text',
    ],
    casts: {
      id: 'uuid',
      workspace_id: 'uuid',
      created_at: 'timestamptz',
      updated_at: 'timestamptz',
      emails: 'jsonb',
      phones: 'jsonb',
      company_id: 'uuid',
      address: 'jsonb',
      owner_id: 'uuid',
      lifecycle_stage: 'lifecycle_stage',
      marketing_consent: 'consent_status',
      consent_updated_at: 'timestamptz',
      custom_fields: 'jsonb',
    },
  },
  contactTag: { table: 'contact_tag', columns: ['contact_id', 'tag_id'], casts: { contact_id: 'uuid', tag_id: 'uuid' } },
  activity: {
    table: 'activity',
    columns: [
      'id',
      'workspace_id',
      'created_at',
      'updated_at',
      'version',
      'type',
      'subject',
      'body',
      'occurred_at',
      'duration_seconds',
      'direction',
      'outcome',
      'due_at',
      'assignee_id',
      'priority',
      'completed_at',
      'created_by_id',
    ],
    casts: {
      id: 'uuid',
      workspace_id: 'uuid',
      created_at: 'timestamptz',
      updated_at: 'timestamptz',
      type: 'activity_type',
      occurred_at: 'timestamptz',
      direction: 'activity_direction',
      due_at: 'timestamptz',
      assignee_id: 'uuid',
      priority: 'task_priority',
      completed_at: 'timestamptz',
      created_by_id: 'uuid',
    },
  },
  timelineLink: {
    table: 'timeline_link',
    columns: [
      'id',
      'workspace_id',
      'created_at',
      'updated_at',
      'target_type',
      'target_id',
      'entry_kind',
      'entry_id',
      'entry_type',
      'occurred_at',
    ],
    casts: {
      id: 'uuid',
      workspace_id: 'uuid',
      created_at: 'timestamptz',
      updated_at: 'timestamptz',
      target_id: 'uuid',
      entry_id: 'uuid',
      occurred_at: 'timestamptz',
    },
  },
  comment: {
    table: 'comment',
    columns: ['id', 'workspace_id', 'created_at', 'updated_at', 'activity_id', 'author_id', 'body', 'mentioned_user_ids'],
    casts: {
      id: 'uuid',
      workspace_id: 'uuid',
      created_at: 'timestamptz',
      updated_at: 'timestamptz',
      activity_id: 'uuid',
      author_id: 'uuid',
      mentioned_user_ids: 'uuid[]',
    },
  },
} satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;
/** One row: values in `TABLES[x].columns` order; JSON already serialized, arrays as PostgreSQL array literals. */
export type RowValue = string | number | boolean | null;
export type Row = RowValue[];
export type GeneratedChunk = Record<TableName, Row[]>;

export interface GenerateOptions {
  seed: number;
  workspaceId: string;
  /** Members who own records, get tasks and write comments. */
  userIds: string[];
  companyTagIds: string[];
  contactTagIds: string[];
  companies: number;
  contacts: number;
  activities: number;
  /** Share of activities that get comments. */
  commentRate?: number;
  /** Data is spread over the year before this instant. */
  now?: Date;
  /** Companies per yielded chunk (their contacts and activities come in the same chunk). */
  chunkCompanies?: number;
}

export const COMPANY_TIERS = ['gold', 'silver', 'bronze'] as const;
export const CONTACT_REGIONS = ['amer', 'emea', 'apac'] as const;
export const CONTACT_CHANNELS = ['email', 'phone', 'meeting'] as const;

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const LIFECYCLE = [
  ['LEAD', 30],
  ['MARKETING_QUALIFIED', 15],
  ['SALES_QUALIFIED', 12],
  ['OPPORTUNITY', 13],
  ['CUSTOMER', 25],
  ['CHURNED', 5],
] as const;
const ACTIVITY_TYPES = [
  ['EMAIL', 35],
  ['CALL', 25],
  ['MEETING', 12],
  ['NOTE', 13],
  ['TASK', 15],
] as const;

const pgArray = (values: string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
const slug = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

/** This slot's share of `remaining` over `slotsLeft` slots: 0.4×–1.6× the fair share; the last slot takes the rest, so totals are exact. */
function share(rng: Rng, remaining: number, slotsLeft: number): number {
  if (slotsLeft <= 1) return remaining;
  const fair = remaining / slotsLeft;
  return Math.min(remaining, Math.round(fair * (0.4 + rng.next() * 1.2)));
}

/** Yields chunks of rows; all tables of one company (its contacts, their activities) land in the same chunk. */
export function* generateCustomers(options: GenerateOptions): Generator<GeneratedChunk> {
  const rng = new Rng(options.seed);
  const now = (options.now ?? new Date()).getTime();
  const cities = CITIES(rng.next);
  const cityWeights = cities.map((c) => [c, c.weight] as const);
  const users = options.userIds;
  const ws = options.workspaceId;
  const usedDomains = new Set<string>();
  const chunkSize = options.chunkCompanies ?? 500;
  const commentRate = options.commentRate ?? 0.08;
  let contactsLeft = options.contacts;
  let activitiesLeft = options.activities;
  let chunk = emptyChunk();

  for (let ci = 0; ci < options.companies; ci++) {
    const companiesLeft = options.companies - ci;
    const city = rng.weighted(cityWeights);
    const company = makeCompany(rng, ws, city, users, usedDomains, now);
    chunk.company.push(company.row);
    for (const tag of pickSome(rng, options.companyTagIds, 0.35, 2)) chunk.companyTag.push([company.id, tag]);

    const contactCount = share(rng, contactsLeft, companiesLeft);
    contactsLeft -= contactCount;
    const contactsAfter = contactsLeft; // contacts of later companies, for a fair share of the activities
    const usedLocals = new Set<string>();
    for (let k = 0; k < contactCount; k++) {
      const contact = makeContact(rng, ws, company, city, users, usedLocals, now);
      chunk.contact.push(contact.row);
      for (const tag of pickSome(rng, options.contactTagIds, 0.3, 2)) chunk.contactTag.push([contact.id, tag]);
      const n = share(rng, activitiesLeft, contactsAfter + (contactCount - k));
      activitiesLeft -= n;
      for (let a = 0; a < n; a++) {
        const activity = makeActivity(rng, ws, contact, company, users, now);
        chunk.activity.push(activity.row);
        for (const [targetType, targetId] of [
          ['Contact', contact.id],
          ['Company', company.id],
        ] as const) {
          chunk.timelineLink.push([
            rng.uuid(),
            ws,
            activity.occurredAt,
            activity.occurredAt,
            targetType,
            targetId,
            'activity',
            activity.id,
            activity.type,
            activity.occurredAt,
          ]);
        }
        if (rng.chance(commentRate)) {
          const count = rng.int(1, 3);
          for (let m = 0; m < count; m++) {
            const at = new Date(Math.min(now, Date.parse(activity.occurredAt) + rng.int(1, 72) * 3_600_000)).toISOString();
            const mention = rng.chance(0.3) ? [rng.pick(users)] : [];
            chunk.comment.push([rng.uuid(), ws, at, at, activity.id, rng.pick(users), rng.pick(COMMENT_SNIPPETS), pgArray(mention)]);
          }
        }
      }
    }
    if (chunk.company.length >= chunkSize) {
      yield chunk;
      chunk = emptyChunk();
    }
  }
  if (chunk.company.length) yield chunk;
}

export function emptyChunk(): GeneratedChunk {
  return { company: [], companyTag: [], contact: [], contactTag: [], activity: [], timelineLink: [], comment: [] };
}

function pickSome(rng: Rng, ids: string[], p: number, max: number): string[] {
  if (!ids.length || !rng.chance(p)) return [];
  const out = new Set<string>();
  const n = rng.int(1, max);
  for (let i = 0; i < n; i++) out.add(rng.pick(ids));
  return [...out];
}

interface GeneratedCompany {
  id: string;
  name: string;
  domain: string;
  ownerId: string;
  lifecycle: string;
  row: Row;
}

function makeCompany(rng: Rng, ws: string, city: CityInfo, users: string[], usedDomains: Set<string>, now: number): GeneratedCompany {
  const industry = rng.pick(INDUSTRIES);
  const brand = rng.pick(COMPANY_PREFIXES) + rng.pick(COMPANY_ROOTS);
  const word = rng.pick(industry.words);
  const legal = rng.pick(legalSuffixes(city.country));
  const name = [brand, word, legal].filter(Boolean).join(' ');
  const tld =
    city.country === 'US'
      ? rng.weighted([
          ['com', 8],
          ['io', 2],
          ['co', 1],
        ] as const)
      : rng.weighted([
          ['com', 4],
          [city.country.toLowerCase() === 'gb' ? 'co.uk' : city.country.toLowerCase(), 5],
          ['io', 1],
        ] as const);
  const base = `${slug(brand)}${rng.chance(0.4) ? slug(word) : ''}`;
  let domain = `${base}.${tld}`;
  for (let n = 2; usedDomains.has(domain); n++) domain = `${base}${n}.${tld}`;
  usedDomains.add(domain);
  const domains = rng.chance(0.15) ? [domain, `${base}-${slug(word)}.com`] : [domain];
  const employees = rng.logInt(3, 25_000);
  const currency = rng.chance(0.8) ? city.currency : 'USD';
  const revenue = rng.chance(0.85)
    ? Math.round((employees * rng.int(industry.revenuePerEmployee[0], industry.revenuePerEmployee[1])) / 1000) * 1000 * 100
    : null;
  const address: PostalAddress = {
    street: `${rng.int(1, 2500)} ${rng.pick(STREETS)}`,
    city: city.city,
    region: city.region,
    postalCode: city.postal(),
    country: city.country,
  };
  const phones: PhoneEntry[] = [{ number: phone(rng, city), label: 'main', primary: true }];
  const ownerId = rng.pick(users);
  const lifecycle = rng.weighted(LIFECYCLE);
  const custom: Record<string, unknown> = {};
  if (rng.chance(0.8))
    custom.tier = employees > 2000 ? 'gold' : employees > 200 ? rng.pick(['gold', 'silver']) : rng.pick(['silver', 'bronze', 'bronze']);
  if (lifecycle === 'CUSTOMER' || lifecycle === 'OPPORTUNITY') {
    custom.contractValue = rng.int(50, 5000) * 10_000;
    custom.renewalDate = new Date(now + rng.int(-30, 365) * DAY).toISOString().slice(0, 10);
  }
  const createdAt = new Date(now - YEAR - rng.int(0, 400) * DAY).toISOString();
  const id = rng.uuid();
  const row: Row = [
    id,
    ws,
    createdAt,
    createdAt,
    1,
    name,
    pgArray(domains),
    domain,
    industry.name,
    employees,
    revenue,
    revenue == null ? null : currency,
    JSON.stringify(address),
    JSON.stringify(phones),
    `https://www.${domain}`,
    ownerId,
    lifecycle,
    JSON.stringify(custom),
    companySearchText({ name, domains, phones }),
  ];
  return { id, name, domain, ownerId, lifecycle, row };
}

interface GeneratedContact {
  id: string;
  firstName: string;
  lastName: string;
  row: Row;
}

function makeContact(
  rng: Rng,
  ws: string,
  company: GeneratedCompany,
  city: CityInfo,
  users: string[],
  usedLocals: Set<string>,
  now: number,
): GeneratedContact {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const f = slug(firstName),
    l = slug(lastName);
  const pattern = rng.weighted([
    [`${f}.${l}`, 6],
    [`${f[0]}${l}`, 3],
    [f, 1],
    [`${f}_${l}`, 1],
  ] as const);
  let local = pattern;
  for (let n = 2; usedLocals.has(local); n++) local = `${pattern}${n}`;
  usedLocals.add(local);
  const email = `${local}@${company.domain}`;
  const emails: EmailEntry[] = [{ email, label: 'work', primary: true }];
  if (rng.chance(0.1))
    emails.push({
      email: `${f}.${l}${rng.int(1, 99)}@${rng.pick(['gmail.com', 'outlook.com', 'proton.me'])}`,
      label: 'personal',
      primary: false,
    });
  const phones: PhoneEntry[] = [];
  if (rng.chance(0.7)) phones.push({ number: phone(rng, city), label: 'work', primary: true });
  if (rng.chance(0.3)) phones.push({ number: phone(rng, city), label: 'mobile', primary: phones.length === 0 });
  const lifecycle = rng.chance(0.7) ? company.lifecycle : rng.weighted(LIFECYCLE);
  const consent = rng.weighted([
    ['GRANTED', 45],
    ['UNKNOWN', 45],
    ['WITHDRAWN', 10],
  ] as const);
  const createdAt = new Date(now - rng.int(0, 540) * DAY - rng.int(0, 86_399) * 1000).toISOString();
  const consentAt = consent === 'UNKNOWN' ? null : createdAt;
  const doNotContact = rng.chance(0.02);
  const custom: Record<string, unknown> = {};
  if (rng.chance(0.85))
    custom.region = ['US', 'CA'].includes(city.country) ? 'amer' : ['AU', 'SG', 'JP'].includes(city.country) ? 'apac' : 'emea';
  if (rng.chance(0.4)) custom.npsScore = rng.int(0, 10);
  if (rng.chance(0.5)) custom.preferredChannel = rng.pick(['email', 'phone', 'meeting']);
  const address: PostalAddress | null = rng.chance(0.3) ? { city: city.city, region: city.region, country: city.country } : null;
  const id = rng.uuid();
  const row: Row = [
    id,
    ws,
    createdAt,
    createdAt,
    1,
    firstName,
    lastName,
    JSON.stringify(emails),
    email,
    JSON.stringify(phones),
    rng.pick(JOB_TITLES),
    company.id,
    address ? JSON.stringify(address) : null,
    rng.chance(0.8) ? company.ownerId : rng.pick(users),
    lifecycle,
    rng.pick(SOURCES),
    consent,
    consentAt,
    doNotContact,
    doNotContact || consent === 'WITHDRAWN',
    doNotContact || rng.chance(0.03),
    JSON.stringify(custom),
    contactSearchText({ firstName, lastName, emails, phones }),
  ];
  return { id, firstName, lastName, row };
}

interface GeneratedActivity {
  id: string;
  type: string;
  occurredAt: string;
  row: Row;
}

function makeActivity(
  rng: Rng,
  ws: string,
  contact: GeneratedContact,
  company: GeneratedCompany,
  users: string[],
  now: number,
): GeneratedActivity {
  const type = rng.weighted(ACTIVITY_TYPES);
  const occurred = now - Math.floor(rng.next() * YEAR);
  const occurredAt = new Date(occurred).toISOString();
  const topic = rng.pick(TOPICS);
  const author = rng.pick(users);
  let subject: string;
  let body: string | null = null;
  let duration: number | null = null;
  let direction: string | null = null;
  let outcome: string | null = null;
  let dueAt: string | null = null;
  let assignee: string | null = null;
  let priority: string | null = null;
  let completedAt: string | null = null;
  switch (type) {
    case 'CALL':
      direction = rng.chance(0.7) ? 'OUTBOUND' : 'INBOUND';
      outcome = rng.pick(CALL_OUTCOMES);
      duration = outcome === 'Connected' || outcome === 'Scheduled follow-up' ? rng.int(120, 2400) : rng.int(10, 90);
      subject = `Call with ${contact.firstName} about ${topic}`;
      body = outcome === 'Connected' ? `Talked through ${topic}. ${rng.pick(NOTE_SNIPPETS)}` : null;
      break;
    case 'EMAIL':
      direction = rng.chance(0.55) ? 'OUTBOUND' : 'INBOUND';
      subject = `${rng.chance(0.4) ? 'Re: ' : ''}${topic[0]!.toUpperCase()}${topic.slice(1)} – ${company.name}`;
      body = `Hi ${direction === 'OUTBOUND' ? contact.firstName : 'team'},\n\nFollowing up on ${topic}. ${rng.pick(NOTE_SNIPPETS)}\n\nBest regards`;
      break;
    case 'MEETING':
      duration = rng.pick([1800, 2700, 3600, 5400]);
      subject = `${rng.pick(MEETING_KINDS)} with ${company.name}`;
      body = `Agenda: ${topic}. Attendees: ${contact.firstName} ${contact.lastName}.`;
      outcome = rng.pick(['Next steps agreed', 'Needs follow-up', 'Positive', 'Postponed']);
      break;
    case 'NOTE':
      subject = `Note on ${topic}`;
      body = rng.pick(NOTE_SNIPPETS);
      break;
    default: {
      subject = `Follow up with ${contact.firstName} ${contact.lastName} on ${topic}`;
      const due = occurred + rng.int(1, 21) * DAY;
      dueAt = new Date(due).toISOString();
      assignee = rng.pick(users);
      priority = rng.weighted([
        ['LOW', 20],
        ['NORMAL', 50],
        ['HIGH', 22],
        ['URGENT', 8],
      ] as const);
      if (due < now ? rng.chance(0.75) : rng.chance(0.1))
        completedAt = new Date(Math.min(now, occurred + rng.int(1, 20) * DAY)).toISOString();
    }
  }
  const id = rng.uuid();
  const row: Row = [
    id,
    ws,
    occurredAt,
    completedAt ?? occurredAt,
    1,
    type,
    subject,
    body,
    occurredAt,
    duration,
    direction,
    outcome,
    dueAt,
    assignee,
    priority,
    completedAt,
    author,
  ];
  return { id, type, occurredAt, row };
}

function phone(rng: Rng, city: CityInfo): string {
  const d = (n: number) => String(rng.int(0, 10 ** n - 1)).padStart(n, '0');
  return city.phonePrefix.startsWith('+1 ') ? `${city.phonePrefix}-${rng.int(200, 999)}-${d(4)}` : `${city.phonePrefix} ${d(4)} ${d(4)}`;
}

/** Multi-row INSERT statements for `rows` (`?` placeholders for MikroORM's `execute`, `$n` for the pg client). */
export function insertStatements(
  spec: TableSpec,
  rows: Row[],
  { batch = 1000, placeholders = 'question' as 'question' | 'dollar', onConflictDoNothing = false } = {},
): { text: string; params: RowValue[] }[] {
  const out: { text: string; params: RowValue[] }[] = [];
  const casts = spec.columns.map((c) => (spec.casts[c] ? `::${spec.casts[c]}` : ''));
  const perStatement = Math.max(1, Math.min(batch, Math.floor(60_000 / spec.columns.length)));
  for (let start = 0; start < rows.length; start += perStatement) {
    const slice = rows.slice(start, start + perStatement);
    const params: RowValue[] = [];
    const tuples = slice.map((row) => {
      const cells = row.map((value, i) => {
        params.push(value);
        return `${placeholders === 'dollar' ? `$${params.length}` : '?'}${casts[i]}`;
      });
      return `(${cells.join(', ')})`;
    });
    out.push({
      text: `insert into "${spec.table}" (${spec.columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}${onConflictDoNothing ? ' on conflict do nothing' : ''}`,
      params,
    });
  }
  return out;
}

/** One row in PostgreSQL COPY text format. */
export function copyLine(row: Row): string {
  const cells = row.map((v) =>
    v === null
      ? '\\N'
      : typeof v === 'string'
        ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
        : String(v),
  );
  return `${cells.join('\t')}\n`;
}
