import { randomUUID } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import type { Logger } from 'pino';
import { isPglite, type Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import { Sql, sql, raw, type SqlRow } from '../../db/sql.js';
import { InputRejected } from '../../graphql/errors.js';
import { parseGlobalId } from '../../graphql/global-id.js';
import { CustomFieldDefinition } from '../custom-fields/custom-field-definition.entity.js';
import { mergeCustomValues } from '../custom-fields/custom-field.service.js';
import { companySearchText, contactSearchText, phoneDigits } from '../search/search-text.js';
import { domainName } from '../shared/validation.js';
import type { CustomFieldValues, EmailEntry, PhoneEntry, PostalAddress } from '../shared/value-objects.js';
import { ImportStatus } from './import-job.entity.js';
import { openImportDb, type BatchDb } from './import-db.js';
import { codePointName, disallowedCharacter } from '../shared/text.js';
import {
  CUSTOM_PREFIX,
  customCellValue,
  defaultFieldFor,
  isKnownField,
  OBJECT_TYPE_NAMES,
  parseCell,
  type ImportObjectKind,
} from './import-fields.js';
import { recordAudit } from '../audit/audit-log.js';
import { SUPPRESSED_MESSAGE, suppressedAmong } from '../privacy/suppression.js';
import type { AuditActor } from '../../db/audit-context.js';
import { ConsentActorKind } from '../consent/consent-change.entity.js';
import { consentChanges, type ConsentValues } from '../consent/consent.js';

export const MAX_IMPORT_BYTES = 2 * 1024 ** 3;
const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * What the importing caller may do (from their principal): created records belong to them; existing records
 * outside their update scope are not changed (the row fails); companies outside their read scope are not linked.
 * Without it (scripts, the benchmark) the import runs unrestricted.
 */
export interface ImportAccess {
  ownerId: string | null;
  mayUpdate: (ownerId: string | null) => boolean;
  mayReadCompany: (ownerId: string | null) => boolean;
  /** Import field paths (or prefixes ending in `.`) the caller's allowlist hides: mapping a column to them is refused. */
  hiddenFields: string[];
}

export interface ImportOptions {
  /** The caller's rights; omitted: unrestricted (trusted callers only). */
  access?: ImportAccess | null;
  /** A job created beforehand with createImportJob (the async HTTP route does); else one is created. */
  jobId?: string;
  batchSize?: number;
  fileName?: string | null;
  logger?: Logger;
  maxBytes?: number;
  /** Who runs the import: one summary entry per job goes to the audit log (rows are not audited one by one). */
  auditActor?: AuditActor | null;
}

export interface ImportResult {
  jobId: string;
  status: ImportStatus;
  processedRows: number;
  createdCount: number;
  updatedCount: number;
  failedCount: number;
  failureMessage: string | null;
}

interface RowError {
  rowNumber: number;
  field: string | null;
  code: string;
  message: string;
}

/** One CSV record after cell validation: field → value, and raw custom cells. */
interface ImportRow {
  rowNumber: number;
  values: Map<string, unknown>;
  custom: Record<string, unknown> | null;
}

export class ImportRejected extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks an explicit mapping (CSV column → field path) before any row is read. */
export function checkMapping(kind: ImportObjectKind, mapping: unknown): Record<string, string> | null {
  if (mapping == null) return null;
  if (typeof mapping !== 'object' || Array.isArray(mapping))
    throw new ImportRejected('mapping', 'must be an object of CSV column names to field paths');
  const out: Record<string, string> = {};
  for (const [column, field] of Object.entries(mapping as Record<string, unknown>)) {
    if (typeof field !== 'string' || !isKnownField(kind, field)) {
      throw new ImportRejected('mapping', `column "${column}" maps to unknown field ${JSON.stringify(field)}`);
    }
    out[column] = field;
  }
  return out;
}

export async function createImportJob(
  orm: Orm,
  workspaceId: string,
  kind: ImportObjectKind,
  mapping: Record<string, string> | null,
  fileName?: string | null,
): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await withWorkspace(orm, workspaceId, (em) =>
    em.execute(
      'insert into import_job (id, workspace_id, created_at, updated_at, object_type, status, mapping, file_name) values (?, ?, ?, ?, ?, ?, ?::jsonb, ?)',
      [id, workspaceId, now, now, OBJECT_TYPE_NAMES[kind], ImportStatus.PENDING, JSON.stringify(mapping ?? {}), fileName ?? null],
    ),
  );
  return id;
}

/**
 * Imports a CSV stream into contacts or companies: parses with backpressure, validates each row, and upserts
 * in batches (one short transaction each), recording per-row errors and progress on the job. Memory stays
 * flat whatever the file size: at most one batch of rows is held at a time.
 */
export async function importCsvStream(
  orm: Orm,
  workspaceId: string,
  kind: ImportObjectKind,
  readable: Readable,
  mapping?: Record<string, string> | null,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const explicit = checkMapping(kind, mapping);
  const jobId = options.jobId ?? (await createImportJob(orm, workspaceId, kind, explicit, options.fileName));
  const pglite = isPglite(orm);
  // PGlite runs the INSERT form of each batch in statements of limited size; PostgreSQL streams a batch with COPY
  // at most 20k rows: a batch's lookups bind up to three parameters per row, and PostgreSQL allows 65,535
  const batchSize = Math.min(options.batchSize ?? (pglite ? 2_000 : 10_000), 20_000);
  const counts = { processedRows: 0, createdCount: 0, updatedCount: 0, failedCount: 0 };
  // the job's own statements run in the workspace's tenant context (row-level security on PostgreSQL)
  const conn = { execute: (text: string, params: unknown[]) => withWorkspace(orm, workspaceId, (em) => em.execute(text, params)) };
  await conn.execute('update import_job set status = ?, updated_at = ? where id = ?', [
    ImportStatus.RUNNING,
    new Date().toISOString(),
    jobId,
  ]);

  let pendingErrors: RowError[] = [];
  let batch: ImportRow[] = [];
  let failedRowsInErrors = 0;
  const typeName = OBJECT_TYPE_NAMES[kind];
  let db: Awaited<ReturnType<typeof openImportDb>> | null = null;
  let defs: Map<string, CustomFieldDefinition> | null = null;
  // one batch is written while the parser reads the next: at most two batches are held
  let writing: Promise<void> | null = null;
  let writeError: unknown = null;
  const settle = async () => {
    if (writing) await writing;
    writing = null;
    if (writeError) throw writeError;
  };
  const writeBatch = async (rows: ImportRow[], parseErrors: RowError[], malformedRows: number, processedRows: number) => {
    db ??= await openImportDb(orm, workspaceId);
    defs ??= await definitionsOf(orm, workspaceId, typeName);
    await db.batch(async (tx) => {
      const access = options.access ?? null;
      const outcome =
        kind === 'contacts'
          ? await upsertContacts(tx, workspaceId, defs!, rows, access, {
              jobId,
              source: `CSV import${options.fileName ? ` "${options.fileName}"` : ''}`.slice(0, 500),
            })
          : await upsertCompanies(tx, workspaceId, defs!, rows, access);
      counts.createdCount += outcome.created;
      counts.updatedCount += outcome.updated;
      counts.failedCount += malformedRows + new Set(outcome.errors.map((e) => e.rowNumber)).size;
      await insertRowErrors(tx, workspaceId, jobId, [...parseErrors, ...outcome.errors]);
      await tx.query(
        'update import_job set processed_rows = ?, created_count = ?, updated_count = ?, failed_count = ?, updated_at = ? where id = ?',
        [processedRows, counts.createdCount, counts.updatedCount, counts.failedCount, new Date().toISOString(), jobId],
      );
    });
  };
  const flush = async () => {
    if (!batch.length && !pendingErrors.length) return;
    await settle();
    writing = writeBatch(batch, pendingErrors, failedRowsInErrors, counts.processedRows).catch((error) => {
      writeError = error;
    });
    batch = [];
    pendingErrors = [];
    failedRowsInErrors = 0;
  };

  let status = ImportStatus.COMPLETED;
  let failureMessage: string | null = null;
  try {
    const parser = pipeline(
      readable,
      byteLimit(options.maxBytes ?? MAX_IMPORT_BYTES),
      parse({
        bom: true,
        info: true,
        relax_quotes: true,
        relax_column_count: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        max_record_size: MAX_RECORD_BYTES,
        on_skip: (err: CsvError | undefined) => {
          counts.processedRows++;
          failedRowsInErrors++;
          pendingErrors.push({
            rowNumber: Number((err as { records?: number })?.records ?? 0) + 1,
            field: null,
            code: 'MALFORMED_ROW',
            message: err?.message ?? 'malformed CSV record',
          });
        },
      }),
      () => {},
    ) as AsyncIterable<{ record: string[]; info: { records: number } }>;
    let header: string[] | null = null;
    let fields: (string | null)[] = [];
    for await (const { record, info } of parser) {
      if (!header) {
        header = record.map((h) => h.trim());
        fields = columnFields(kind, header, explicit);
        const hidden = options.access?.hiddenFields ?? [];
        const refused = fields.find((f) => f && hidden.some((h) => (h.endsWith('.') ? f.startsWith(h) : f === h)));
        if (refused) throw new ImportRejected('mapping', `the field ${refused} is hidden by your field allowlist and cannot be imported`);
        continue;
      }
      counts.processedRows++;
      const row = readRow(kind, header, fields, record, info.records);
      if ('errors' in row) {
        pendingErrors.push(...row.errors);
        failedRowsInErrors++;
      } else batch.push(row);
      if (batch.length >= batchSize || pendingErrors.length >= batchSize) await flush();
    }
    await flush();
    await settle();
  } catch (error) {
    await writing;
    status = ImportStatus.FAILED;
    failureMessage = error instanceof ImportRejected ? error.message : `import stopped: ${(error as Error).message}`;
    if (!(error instanceof ImportRejected)) options.logger?.error({ err: error, jobId }, 'CSV import failed');
    readable.destroy();
  } finally {
    await (db as Awaited<ReturnType<typeof openImportDb>> | null)?.close().catch(() => undefined);
  }
  await conn.execute(
    'update import_job set status = ?, failure_message = ?, finished_at = ?, updated_at = ?, processed_rows = ?, created_count = ?, updated_count = ?, failed_count = ? where id = ?',
    [
      status,
      failureMessage,
      new Date().toISOString(),
      new Date().toISOString(),
      counts.processedRows,
      counts.createdCount,
      counts.updatedCount,
      counts.failedCount,
      jobId,
    ],
  );
  const actor = options.auditActor;
  if (actor) {
    await withWorkspace(orm, workspaceId, (em) =>
      recordAudit(em, {
        workspaceId,
        actorUserId: actor.userId,
        actorApiKeyId: actor.apiKeyId,
        ip: actor.ip,
        action: status === ImportStatus.COMPLETED ? 'import.completed' : 'import.failed',
        objectType: 'ImportJob',
        objectId: jobId,
        metadata: { objectType: typeName, fileName: options.fileName ?? null, failureMessage, ...counts },
      }),
    );
  }
  return { jobId, status, failureMessage, ...counts };
}

function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) callback(new ImportRejected('file', `the file is larger than ${max} bytes`));
      else callback(null, chunk);
    },
  });
}

/** The field of each CSV column (null = ignored). */
function columnFields(kind: ImportObjectKind, header: string[], explicit: Record<string, string> | null): (string | null)[] {
  if (explicit) {
    const missing = Object.keys(explicit).filter((c) => !header.includes(c));
    if (missing.length) throw new ImportRejected('mapping', `the CSV has no column ${missing.map((m) => `"${m}"`).join(', ')}`);
  }
  const fields = header.map((h) => (explicit ? (explicit[h] ?? null) : defaultFieldFor(kind, h)));
  if (!fields.some(Boolean))
    throw new ImportRejected('mapping', 'no CSV column maps to a field: name the columns like the fields or pass a mapping');
  return fields;
}

function readRow(
  kind: ImportObjectKind,
  header: string[],
  fields: (string | null)[],
  record: string[],
  rowNumber: number,
): ImportRow | { errors: RowError[] } {
  if (record.length !== header.length) {
    return {
      errors: [
        { rowNumber, field: null, code: 'MALFORMED_ROW', message: `the row has ${record.length} columns, the header has ${header.length}` },
      ],
    };
  }
  const errors: RowError[] = [];
  const values = new Map<string, unknown>();
  let custom: Record<string, unknown> | null = null;
  fields.forEach((field, i) => {
    const cell = record[i]!;
    if (!field || cell.trim() === '') return;
    const disallowed = disallowedCharacter(cell);
    if (disallowed !== null) {
      errors.push({ rowNumber, field, code: 'BAD_USER_INPUT', message: `${codePointName(disallowed)} is not allowed in text` });
      return;
    }
    if (field.startsWith(CUSTOM_PREFIX)) {
      custom ??= {};
      custom[field.slice(CUSTOM_PREFIX.length)] = cell;
      return;
    }
    const parsed = parseCell(kind, field, cell);
    if ('error' in parsed) errors.push({ rowNumber, field, code: 'BAD_USER_INPUT', message: parsed.error });
    else values.set(field, parsed.value);
  });
  if (values.has('id')) {
    const parsed = parseGlobalId(values.get('id') as string);
    if (!parsed || parsed.type !== OBJECT_TYPE_NAMES[kind])
      errors.push({ rowNumber, field: 'id', code: 'BAD_USER_INPUT', message: `is not a valid ${OBJECT_TYPE_NAMES[kind]} id` });
    else values.set('id', parsed.id);
  }
  return errors.length ? { errors } : { rowNumber, values, custom };
}

async function definitionsOf(orm: Orm, workspaceId: string, objectType: string): Promise<Map<string, CustomFieldDefinition>> {
  const defs = await withWorkspace(orm, workspaceId, (em) => em.find(CustomFieldDefinition, { workspaceId, objectType, archivedAt: null }));
  return new Map(defs.map((d) => [d.key, d]));
}

/** Merges a row's custom cells over the current values; errors name `custom.<key>`. */
function mergeCustom(
  defs: Map<string, CustomFieldDefinition>,
  current: CustomFieldValues,
  row: ImportRow,
  creating: boolean,
): CustomFieldValues | RowError[] {
  const patch = row.custom
    ? Object.fromEntries(Object.entries(row.custom).map(([k, v]) => [k, customCellValue(defs.get(k), v as string)]))
    : undefined;
  try {
    return mergeCustomValues(defs, current, patch, { creating, prefix: ['custom'] });
  } catch (error) {
    if (!(error instanceof InputRejected)) throw error;
    return error.errors.map((e) => ({ rowNumber: row.rowNumber, field: e.field.join('.'), code: e.code, message: e.message }));
  }
}

async function insertRowErrors(db: BatchDb, workspaceId: string, jobId: string, errors: RowError[]) {
  if (!errors.length) return;
  const now = new Date().toISOString();
  await db.fill(
    'import_row_error',
    ['id', 'workspace_id', 'created_at', 'updated_at', 'job_id', 'row_number', 'field', 'code', 'message'],
    ['', '', '', '', '', '::int', '', '', ''],
    errors.map((e) => [
      randomUUID(),
      workspaceId,
      now,
      now,
      jobId,
      e.rowNumber,
      e.field?.slice(0, 200) ?? null,
      e.code.slice(0, 40),
      e.message,
    ]),
  );
}

// ---------- shared list helpers ----------

/** Sets the primary entry and, when `replace` is given, the whole list; labels of kept entries survive. */
function mergeEntries<T extends { primary: boolean; label?: string | null }>(
  current: T[],
  key: (e: T) => string,
  make: (value: string) => T,
  primary: string | undefined,
  replace: string[] | undefined,
): T[] {
  const byKey = new Map(current.map((e) => [key(e), e]));
  const seen = new Set<string>();
  const wanted = replace
    ? [...(primary && !replace.some((r) => key(make(r)) === key(make(primary))) ? [primary] : []), ...replace].filter(
        (r) => !seen.has(key(make(r))) && seen.add(key(make(r))),
      )
    : null;
  let list: T[];
  if (wanted) list = wanted.map((v) => byKey.get(key(make(v))) ?? make(v));
  else if (primary && !byKey.has(key(make(primary)))) list = [make(primary), ...current];
  else list = [...current];
  const primaryKey = primary
    ? key(make(primary))
    : wanted
      ? key(list[0]!)
      : list.find((e) => e.primary)
        ? key(list.find((e) => e.primary)!)
        : list[0] && key(list[0]);
  return list.map((e) => ({ ...e, primary: key(e) === primaryKey }));
}

function applyAddress(current: PostalAddress | null | undefined, values: Map<string, unknown>): PostalAddress | null {
  const parts = ['street', 'city', 'region', 'postalCode', 'country'] as const;
  if (!parts.some((p) => values.has(`address.${p}`))) return current ?? null;
  const next: PostalAddress = { ...(current ?? {}) };
  for (const p of parts) if (values.has(`address.${p}`)) next[p] = values.get(`address.${p}`) as string;
  return next;
}

/** Tag names → ids, creating missing tags (two statements per batch). */
async function tagIdsByName(db: BatchDb, workspaceId: string, names: string[]): Promise<Map<string, string>> {
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).entries()];
  if (!unique.length) return new Map();
  const now = new Date().toISOString();
  const insert = sql`insert into tag (id, workspace_id, created_at, updated_at, name, normalized_name) values ${Sql.join(
    unique.map(([norm, name]) => sql`(${randomUUID()}, ${workspaceId}, ${now}, ${now}, ${name}, ${norm})`),
    ', ',
  )} on conflict (workspace_id, normalized_name) do nothing`;
  await db.query(insert.text, insert.params);
  const select = sql`select id, normalized_name from tag where workspace_id = ${workspaceId} and normalized_name in (${Sql.join(
    unique.map(([n]) => sql`${n}`),
    ', ',
  )})`;
  const rows = await db.query<{ id: string; normalized_name: string }>(select.text, select.params);
  return new Map(rows.map((r) => [r.normalized_name, r.id]));
}

async function addTags(db: BatchDb, pivot: 'contact_tag' | 'company_tag', column: string, links: [string, string][]) {
  for (let i = 0; i < links.length; i += 10_000) {
    const chunk = links.slice(i, i + 10_000);
    const q = sql`insert into ${raw(pivot)} (${raw(column)}, tag_id) values ${Sql.join(
      chunk.map(([r, t]) => sql`(${r}, ${t})`),
      ', ',
    )} on conflict do nothing`;
    await db.query(q.text, q.params);
  }
}

/** Stages the changed rows (id + text columns) in a temporary table, then runs one `update … from` it. */
async function updateFromStage(db: BatchDb, table: 'contact' | 'company', columns: [string, string][], rows: unknown[][]) {
  if (!rows.length) return;
  const stage = `import_stage_${table}`;
  await db.query(
    `create temp table if not exists ${stage} (id uuid not null, ${columns.map(([c]) => `${c} text`).join(', ')}) on commit delete rows`,
  );
  await db.fill(stage, ['id', ...columns.map(([c]) => c)], ['::uuid', ...columns.map(() => '::text')], rows);
  const set = columns.map(([c, cast]) => `${c} = v.${c}${cast}`).join(', ');
  await db.query(`update ${table} t set ${set}, version = t.version + 1, updated_at = now() from ${stage} v where t.id = v.id`);
}

function insertRows(db: BatchDb, table: string, columns: string[], casts: string[], rows: unknown[][]) {
  return db.fill(table, columns, casts, rows);
}

// ---------- companies ----------

interface CompanyState {
  id: string;
  isNew: boolean;
  ownerId: string | null;
  name: string;
  domains: string[];
  industry: string | null;
  employeeCount: number | null;
  annualRevenueAmount: number | null;
  annualRevenueCurrency: string | null;
  address: PostalAddress | null;
  phones: PhoneEntry[];
  website: string | null;
  lifecycleStage: string | null;
  customFields: CustomFieldValues;
  tagIds: Set<string>;
}

const COMPANY_STATE_COLUMNS =
  'id, owner_id, name, domains, primary_domain, industry, employee_count, annual_revenue_amount, annual_revenue_currency, address, phones, website, lifecycle_stage, custom_fields, created_at';

function companyState(row: SqlRow): CompanyState {
  return {
    id: row.id,
    isNew: false,
    ownerId: row.owner_id ?? null,
    name: row.name,
    domains: row.domains ?? [],
    industry: row.industry,
    employeeCount: row.employee_count,
    annualRevenueAmount: row.annual_revenue_amount == null ? null : Number(row.annual_revenue_amount),
    annualRevenueCurrency: row.annual_revenue_currency,
    address: row.address,
    phones: row.phones ?? [],
    website: row.website,
    lifecycleStage: row.lifecycle_stage,
    customFields: row.custom_fields ?? {},
    tagIds: new Set(),
  };
}

const comparableCompany = ({ isNew: _n, tagIds: _t, ...rest }: CompanyState) => rest;
const looksLikeDomain = (ref: string) => !/\s/.test(ref) && domainName.safeParse(ref).success;

/** Existing live companies matching ids, domains or (lower-cased) names, oldest first. */
async function findCompanies(db: BatchDb, workspaceId: string, ids: string[], domains: string[], names: string[]) {
  const or: Sql[] = [];
  const list = (values: string[]) =>
    Sql.join(
      values.map((v) => sql`${v}`),
      ', ',
    );
  if (ids.length) or.push(sql`id in (${list(ids)})`);
  if (domains.length) or.push(sql`primary_domain in (${list(domains)})`, sql`domains && array[${list(domains)}]::text[]`);
  if (names.length) or.push(sql`lower(name) in (${list(names)})`);
  if (!or.length) return [];
  const q = sql`select ${raw(COMPANY_STATE_COLUMNS)} from company where workspace_id = ${workspaceId} and deleted_at is null and (${Sql.or(or)}) order by created_at, id`;
  return db.query<SqlRow>(q.text, q.params);
}

class CompanyIndex {
  readonly byId = new Map<string, CompanyState>();
  readonly byDomain = new Map<string, CompanyState>();
  readonly byName = new Map<string, CompanyState>();

  add(state: CompanyState) {
    this.byId.set(state.id, state);
    for (const d of state.domains) if (!this.byDomain.has(d)) this.byDomain.set(d, state);
    const name = state.name.toLowerCase();
    if (!this.byName.has(name)) this.byName.set(name, state);
  }
}

async function upsertCompanies(
  db: BatchDb,
  workspaceId: string,
  defs: Map<string, CustomFieldDefinition>,
  rows: ImportRow[],
  access: ImportAccess | null,
) {
  const errors: RowError[] = [];
  const domainsOf = (r: ImportRow) => [
    ...((r.values.get('domain') ? [r.values.get('domain')] : []) as string[]),
    ...((r.values.get('domains') as string[]) ?? []),
  ];
  const index = new CompanyIndex();
  const existing = await findCompanies(
    db,
    workspaceId,
    rows.flatMap((r) => (r.values.has('id') ? [r.values.get('id') as string] : [])),
    [...new Set(rows.flatMap(domainsOf))],
    [
      ...new Set(
        rows.filter((r) => !domainsOf(r).length && r.values.has('name')).map((r) => (r.values.get('name') as string).toLowerCase()),
      ),
    ],
  );
  const originals = new Map<string, string>();
  for (const row of existing) {
    const state = companyState(row);
    originals.set(state.id, JSON.stringify(comparableCompany(state)));
    index.add(state);
  }
  const tagIds = await tagIdsByName(
    db,
    workspaceId,
    rows.flatMap((r) => (r.values.get('tags') as string[]) ?? []),
  );
  const touched = new Map<string, CompanyState>();
  for (const row of rows) {
    const v = row.values;
    const domains = domainsOf(row);
    let target: CompanyState | undefined;
    if (v.has('id')) {
      target = index.byId.get(v.get('id') as string);
      if (!target) {
        errors.push({ rowNumber: row.rowNumber, field: 'id', code: 'NOT_FOUND', message: 'no live company with this id in the workspace' });
        continue;
      }
    } else {
      target =
        domains.map((d) => index.byDomain.get(d)).find(Boolean) ??
        (domains.length ? undefined : index.byName.get(String(v.get('name') ?? '').toLowerCase()));
    }
    if (target && !target.isNew && access && !access.mayUpdate(target.ownerId)) {
      errors.push(
        v.has('id')
          ? { rowNumber: row.rowNumber, field: 'id', code: 'NOT_FOUND', message: 'no live company with this id in the workspace' }
          : {
              rowNumber: row.rowNumber,
              field: domains.length ? 'domain' : 'name',
              code: 'FORBIDDEN',
              message: 'matches an existing company you may not edit',
            },
      );
      continue;
    }
    const creating = !target;
    if (creating && !v.has('name')) {
      errors.push({ rowNumber: row.rowNumber, field: 'name', code: 'BAD_USER_INPUT', message: 'a new company needs a name' });
      continue;
    }
    const next: CompanyState = target
      ? { ...target, tagIds: new Set(target.tagIds) }
      : {
          id: randomUUID(),
          isNew: true,
          ownerId: access?.ownerId ?? null,
          name: '',
          domains: [],
          industry: null,
          employeeCount: null,
          annualRevenueAmount: null,
          annualRevenueCurrency: null,
          address: null,
          phones: [],
          website: null,
          lifecycleStage: null,
          customFields: {},
          tagIds: new Set(),
        };
    const custom = mergeCustom(defs, next.customFields, row, creating);
    if (Array.isArray(custom)) {
      errors.push(...custom);
      continue;
    }
    next.customFields = custom;
    if (v.has('name')) next.name = v.get('name') as string;
    if (v.has('domains')) next.domains = [...new Set(domains)];
    else if (v.has('domain')) next.domains = [...new Set([v.get('domain') as string, ...next.domains])];
    if (v.has('industry')) next.industry = v.get('industry') as string;
    if (v.has('employeeCount')) next.employeeCount = v.get('employeeCount') as number;
    if (v.has('annualRevenue')) next.annualRevenueAmount = v.get('annualRevenue') as number;
    if (v.has('annualRevenueCurrency')) next.annualRevenueCurrency = v.get('annualRevenueCurrency') as string;
    if (next.annualRevenueAmount != null && !next.annualRevenueCurrency) {
      errors.push({
        rowNumber: row.rowNumber,
        field: 'annualRevenueCurrency',
        code: 'BAD_USER_INPUT',
        message: 'an annual revenue needs a currency',
      });
      continue;
    }
    if (v.has('website')) next.website = v.get('website') as string;
    if (v.has('lifecycleStage')) next.lifecycleStage = v.get('lifecycleStage') as string;
    next.address = applyAddress(next.address, v);
    next.phones = mergeEntries(
      next.phones,
      (p) => phoneDigits(p.number),
      (n) => ({ number: n, label: null, primary: false }),
      v.get('phone') as string | undefined,
      v.get('phones') as string[] | undefined,
    );
    for (const t of (v.get('tags') as string[]) ?? []) next.tagIds.add(tagIds.get(t.toLowerCase())!);
    index.add(next);
    touched.set(next.id, next);
  }

  const now = new Date().toISOString();
  const inserts: unknown[][] = [];
  const updates: unknown[][] = [];
  const links: [string, string][] = [];
  let created = 0;
  let updated = 0;
  const cells = (c: CompanyState) => [
    c.name,
    `{${c.domains.map((d) => `"${d}"`).join(',')}}`,
    c.domains[0] ?? null,
    c.industry,
    c.employeeCount,
    c.annualRevenueAmount,
    c.annualRevenueCurrency,
    c.address ? JSON.stringify(c.address) : null,
    JSON.stringify(c.phones),
    c.website,
    c.lifecycleStage,
    JSON.stringify(c.customFields),
    companySearchText(c),
  ];
  for (const c of touched.values()) {
    links.push(...[...c.tagIds].map((t) => [c.id, t] as [string, string]));
    if (c.isNew) {
      inserts.push([c.id, workspaceId, now, now, 1, c.ownerId, ...cells(c)]);
      created++;
    } else if (originals.get(c.id) !== JSON.stringify(comparableCompany(c))) {
      updates.push([c.id, ...cells(c)]);
      updated++;
    }
  }
  const columns: [string, string][] = [
    ['name', ''],
    ['domains', '::text[]'],
    ['primary_domain', ''],
    ['industry', ''],
    ['employee_count', '::int'],
    ['annual_revenue_amount', '::bigint'],
    ['annual_revenue_currency', ''],
    ['address', '::jsonb'],
    ['phones', '::jsonb'],
    ['website', ''],
    ['lifecycle_stage', '::lifecycle_stage'],
    ['custom_fields', '::jsonb'],
    ['search_text', ''],
  ];
  await insertRows(
    db,
    'company',
    ['id', 'workspace_id', 'created_at', 'updated_at', 'version', 'owner_id', ...columns.map(([c]) => c)],
    ['', '', '', '', '', '::uuid', ...columns.map(([, cast]) => cast)],
    inserts,
  );
  await updateFromStage(db, 'company', columns, updates);
  await addTags(db, 'company_tag', 'company_id', links);
  return { created, updated, errors };
}

/** Company ids for contacts' `company` cells (name or domain), creating the missing companies. */
async function companyIdsByRef(
  db: BatchDb,
  workspaceId: string,
  refs: string[],
  access: ImportAccess | null,
): Promise<Map<string, string>> {
  const unique = [...new Set(refs.map((r) => r.trim()).filter(Boolean))];
  const out = new Map<string, string>();
  if (!unique.length) return out;
  const domains = unique.filter(looksLikeDomain).map((d) => domainName.parse(d));
  const rows = await findCompanies(
    db,
    workspaceId,
    [],
    domains,
    unique.map((r) => r.toLowerCase()),
  );
  const index = new CompanyIndex();
  // companies the caller may not read are not linked to (nor revealed): a company of the caller's is created instead
  for (const r of rows) if (!access || access.mayReadCompany(r.owner_id ?? null)) index.add(companyState(r));
  const now = new Date().toISOString();
  const inserts: unknown[][] = [];
  for (const ref of unique) {
    const domain = looksLikeDomain(ref) ? domainName.parse(ref) : null;
    let found = (domain && index.byDomain.get(domain)) || index.byName.get(ref.toLowerCase());
    if (!found) {
      const state: CompanyState = {
        ...companyState({ id: randomUUID(), name: ref, domains: domain ? [domain] : [] }),
        isNew: true,
        ownerId: access?.ownerId ?? null,
      };
      index.add(state);
      inserts.push([
        state.id,
        workspaceId,
        now,
        now,
        1,
        state.ownerId,
        state.name,
        `{${state.domains.map((d) => `"${d}"`).join(',')}}`,
        domain,
        '[]',
        '{}',
        companySearchText(state),
      ]);
      found = state;
    }
    out.set(ref.toLowerCase(), found.id);
  }
  await insertRows(
    db,
    'company',
    [
      'id',
      'workspace_id',
      'created_at',
      'updated_at',
      'version',
      'owner_id',
      'name',
      'domains',
      'primary_domain',
      'phones',
      'custom_fields',
      'search_text',
    ],
    ['', '', '', '', '', '::uuid', '', '::text[]', '', '::jsonb', '::jsonb', ''],
    inserts,
  );
  return out;
}

// ---------- contacts ----------

interface ContactState {
  id: string;
  isNew: boolean;
  ownerId: string | null;
  firstName: string | null;
  lastName: string | null;
  emails: EmailEntry[];
  phones: PhoneEntry[];
  jobTitle: string | null;
  companyId: string | null;
  address: PostalAddress | null;
  lifecycleStage: string;
  source: string | null;
  marketingConsent: string;
  consentUpdatedAt: string | null;
  doNotContact: boolean;
  doNotEmail: boolean;
  doNotCall: boolean;
  customFields: CustomFieldValues;
  tagIds: Set<string>;
}

function contactState(row: SqlRow): ContactState {
  return {
    id: row.id,
    isNew: false,
    ownerId: row.owner_id ?? null,
    firstName: row.first_name,
    lastName: row.last_name,
    emails: row.emails ?? [],
    phones: row.phones ?? [],
    jobTitle: row.job_title,
    companyId: row.company_id,
    address: row.address,
    lifecycleStage: row.lifecycle_stage,
    source: row.source,
    marketingConsent: row.marketing_consent,
    consentUpdatedAt: row.consent_updated_at ? new Date(row.consent_updated_at).toISOString() : null,
    doNotContact: row.do_not_contact,
    doNotEmail: row.do_not_email,
    doNotCall: row.do_not_call,
    customFields: row.custom_fields ?? {},
    tagIds: new Set(),
  };
}

const comparableContact = ({ isNew: _n, tagIds: _t, ...rest }: ContactState) => rest;

async function upsertContacts(
  db: BatchDb,
  workspaceId: string,
  defs: Map<string, CustomFieldDefinition>,
  rows: ImportRow[],
  access: ImportAccess | null,
  consent: { jobId: string; source: string },
) {
  const errors: RowError[] = [];
  const ids = rows.flatMap((r) => (r.values.has('id') ? [r.values.get('id') as string] : []));
  const emails = [
    ...new Set(
      rows.flatMap((r) =>
        r.values.has('email') ? [r.values.get('email') as string] : ((r.values.get('emails') as string[] | undefined)?.slice(0, 1) ?? []),
      ),
    ),
  ];
  const stateColumns = raw(
    'c.id, c.owner_id, c.first_name, c.last_name, c.emails, c.primary_email, c.phones, c.job_title, c.company_id, c.address, c.lifecycle_stage, c.source, c.marketing_consent, c.consent_updated_at, c.do_not_contact, c.do_not_email, c.do_not_call, c.custom_fields, c.created_at',
  );
  const lookups: Sql[] = [];
  if (ids.length)
    lookups.push(
      sql`select ${stateColumns} from contact c where c.workspace_id = ${workspaceId} and c.deleted_at is null and c.id in (${Sql.join(
        ids.map((i) => sql`${i}`),
        ', ',
      )})`,
    );
  // one probe of (workspace_id, primary_email) per address: during a large import the statistics are stale and
  // an IN list would be planned as a scan of the whole workspace, every batch
  if (emails.length) {
    lookups.push(
      sql`select ${stateColumns} from (values ${Sql.join(
        emails.map((e) => sql`(${e})`),
        ', ',
      )}) as wanted(email) cross join lateral (select c.* from contact c where c.workspace_id = ${workspaceId} and c.primary_email = wanted.email and c.deleted_at is null) c`,
    );
  }
  const byId = new Map<string, ContactState>();
  const byEmail = new Map<string, ContactState>();
  const originals = new Map<string, string>();
  const consentBefore = new Map<string, ConsentValues>();
  if (lookups.length) {
    const q = sql`${Sql.join(lookups, ' union ')} order by created_at, id`;
    for (const row of await db.query<SqlRow>(q.text, q.params)) {
      const state = contactState(row);
      originals.set(state.id, JSON.stringify(comparableContact(state)));
      consentBefore.set(state.id, { ...state });
      byId.set(state.id, state);
      if (row.primary_email && !byEmail.has(row.primary_email)) byEmail.set(row.primary_email, state);
    }
  }
  const companies = await companyIdsByRef(
    db,
    workspaceId,
    rows.flatMap((r) => (r.values.has('company') ? [r.values.get('company') as string] : [])),
    access,
  );
  const tagIds = await tagIdsByName(
    db,
    workspaceId,
    rows.flatMap((r) => (r.values.get('tags') as string[]) ?? []),
  );
  const touched = new Map<string, ContactState>();
  const now = new Date().toISOString();
  const rowEmails = (v: Map<string, unknown>) => [
    ...(v.has('email') ? [v.get('email') as string] : []),
    ...((v.get('emails') as string[] | undefined) ?? []),
  ];
  // erased addresses do not come back (src/core/privacy); the message names no address: row errors are stored
  const suppressed = await suppressedAmong(
    (text, params) => db.query(text, params),
    workspaceId,
    rows.flatMap((r) => rowEmails(r.values)),
  );
  for (const row of rows) {
    const v = row.values;
    const primaryEmail = (v.get('email') as string | undefined) ?? (v.get('emails') as string[] | undefined)?.[0];
    if (suppressed.size && rowEmails(v).some((e) => suppressed.has(e))) {
      errors.push({ rowNumber: row.rowNumber, field: 'email', code: 'SUPPRESSED', message: SUPPRESSED_MESSAGE });
      continue;
    }
    let target: ContactState | undefined;
    if (v.has('id')) {
      target = byId.get(v.get('id') as string);
      if (!target) {
        errors.push({ rowNumber: row.rowNumber, field: 'id', code: 'NOT_FOUND', message: 'no live contact with this id in the workspace' });
        continue;
      }
    } else if (primaryEmail) target = byEmail.get(primaryEmail);
    if (target && !target.isNew && access && !access.mayUpdate(target.ownerId)) {
      errors.push(
        v.has('id')
          ? { rowNumber: row.rowNumber, field: 'id', code: 'NOT_FOUND', message: 'no live contact with this id in the workspace' }
          : { rowNumber: row.rowNumber, field: 'email', code: 'FORBIDDEN', message: 'matches an existing contact you may not edit' },
      );
      continue;
    }
    const creating = !target;
    if (creating && !v.has('firstName') && !v.has('lastName') && !primaryEmail) {
      errors.push({ rowNumber: row.rowNumber, field: 'email', code: 'BAD_USER_INPUT', message: 'a new contact needs a name or an email' });
      continue;
    }
    const next: ContactState = target
      ? { ...target, tagIds: new Set(target.tagIds) }
      : {
          id: randomUUID(),
          isNew: true,
          ownerId: access?.ownerId ?? null,
          firstName: null,
          lastName: null,
          emails: [],
          phones: [],
          jobTitle: null,
          companyId: null,
          address: null,
          lifecycleStage: 'LEAD',
          source: null,
          marketingConsent: 'UNKNOWN',
          consentUpdatedAt: null,
          doNotContact: false,
          doNotEmail: false,
          doNotCall: false,
          customFields: {},
          tagIds: new Set(),
        };
    const custom = mergeCustom(defs, next.customFields, row, creating);
    if (Array.isArray(custom)) {
      errors.push(...custom);
      continue;
    }
    next.customFields = custom;
    for (const [field, key] of [
      ['firstName', 'firstName'],
      ['lastName', 'lastName'],
      ['jobTitle', 'jobTitle'],
      ['lifecycleStage', 'lifecycleStage'],
      ['source', 'source'],
      ['doNotContact', 'doNotContact'],
      ['doNotEmail', 'doNotEmail'],
      ['doNotCall', 'doNotCall'],
    ] as const) {
      if (v.has(field)) (next as unknown as Record<string, unknown>)[key] = v.get(field);
    }
    if (v.has('marketingConsent') && v.get('marketingConsent') !== next.marketingConsent) {
      next.marketingConsent = v.get('marketingConsent') as string;
      next.consentUpdatedAt = now;
    }
    if (v.has('company')) next.companyId = companies.get((v.get('company') as string).trim().toLowerCase()) ?? null;
    next.emails = mergeEntries(
      next.emails,
      (e) => e.email,
      (email) => ({ email, label: null, primary: false }),
      v.get('email') as string | undefined,
      v.get('emails') as string[] | undefined,
    );
    next.phones = mergeEntries(
      next.phones,
      (p) => phoneDigits(p.number),
      (n) => ({ number: n, label: null, primary: false }),
      v.get('phone') as string | undefined,
      v.get('phones') as string[] | undefined,
    );
    next.address = applyAddress(next.address, v);
    for (const t of (v.get('tags') as string[]) ?? []) next.tagIds.add(tagIds.get(t.toLowerCase())!);
    // later rows of the file find this one (dedupe inside the file)
    byId.set(next.id, next);
    const primary = next.emails.find((e) => e.primary)?.email;
    if (primary) byEmail.set(primary, next);
    touched.set(next.id, next);
  }

  const inserts: unknown[][] = [];
  const updates: unknown[][] = [];
  const links: [string, string][] = [];
  let created = 0;
  let updated = 0;
  const cells = (c: ContactState) => [
    c.firstName,
    c.lastName,
    JSON.stringify(c.emails),
    c.emails.find((e) => e.primary)?.email ?? null,
    JSON.stringify(c.phones),
    c.jobTitle,
    c.companyId,
    c.address ? JSON.stringify(c.address) : null,
    c.lifecycleStage,
    c.source,
    c.marketingConsent,
    c.consentUpdatedAt,
    String(c.doNotContact),
    String(c.doNotEmail),
    String(c.doNotCall),
    JSON.stringify(c.customFields),
    contactSearchText(c),
  ];
  for (const c of touched.values()) {
    links.push(...[...c.tagIds].map((t) => [c.id, t] as [string, string]));
    if (c.isNew) {
      inserts.push([c.id, workspaceId, now, now, 1, c.ownerId, ...cells(c)]);
      created++;
    } else if (originals.get(c.id) !== JSON.stringify(comparableContact(c))) {
      updates.push([c.id, ...cells(c)]);
      updated++;
    }
  }
  const columns: [string, string][] = [
    ['first_name', ''],
    ['last_name', ''],
    ['emails', '::jsonb'],
    ['primary_email', ''],
    ['phones', '::jsonb'],
    ['job_title', ''],
    ['company_id', '::uuid'],
    ['address', '::jsonb'],
    ['lifecycle_stage', '::lifecycle_stage'],
    ['source', ''],
    ['marketing_consent', '::consent_status'],
    ['consent_updated_at', '::timestamptz'],
    ['do_not_contact', '::boolean'],
    ['do_not_email', '::boolean'],
    ['do_not_call', '::boolean'],
    ['custom_fields', '::jsonb'],
    ['search_text', ''],
  ];
  await insertRows(
    db,
    'contact',
    ['id', 'workspace_id', 'created_at', 'updated_at', 'version', 'owner_id', ...columns.map(([c]) => c)],
    ['', '', '', '', '', '::uuid', ...columns.map(([, cast]) => cast)],
    inserts,
  );
  await updateFromStage(db, 'contact', columns, updates);
  await addTags(db, 'contact_tag', 'contact_id', links);
  // the consent history of the batch, in its transaction (the ORM's ConsentSubscriber does not see these writes)
  const history = [...touched.values()].flatMap((c) =>
    consentChanges(c.isNew ? null : consentBefore.get(c.id)!, c).map((change) => [
      randomUUID(),
      workspaceId,
      c.id,
      change.field,
      change.from,
      change.to,
      now,
      ConsentActorKind.IMPORT,
      consent.jobId,
      consent.source,
    ]),
  );
  await db.fill(
    'consent_change',
    ['id', 'workspace_id', 'contact_id', 'field', 'from_value', 'to_value', 'changed_at', 'actor_kind', 'actor_id', 'source'],
    ['::uuid', '::uuid', '::uuid', '::consent_field', '', '', '::timestamptz', '::consent_actor_kind', '', ''],
    history,
  );
  return { created, updated, errors };
}
