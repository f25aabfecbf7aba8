import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import type { SqlRow } from '../../db/sql.js';
import { recordAuditAs } from '../audit/audit-log.js';
import { privacyHandlersOf } from './privacy-provider.js';
import { loadSubject, type LoadedSubject } from './privacy.service.js';

const PAGE = 500;
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const INTERNAL = new Set(['workspace_id', 'search_text']);

/** A row as JSON: camelCase keys, without the workspace and derived columns. */
function jsonRow(row: SqlRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (INTERNAL.has(key)) continue;
    out[camel(key)] = typeof value === 'bigint' ? value.toString() : value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** One section of the document: a value, or rows read page by page (keyset on `id`). */
export type ExportPart = { key: string; value: unknown } | { key: string; pages: () => AsyncGenerator<unknown[]> };

function paged(
  ctx: RequestContext,
  select: string,
  params: unknown[],
  map: (rows: SqlRow[]) => Promise<unknown[]> | unknown[] = (r) => r.map(jsonRow),
) {
  return async function* () {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await ctx.em.execute<SqlRow[]>(`select * from (${select}) page where page.id > ? order by page.id limit ${PAGE}`, [
        ...params,
        after,
      ]);
      if (!rows.length) return;
      yield await map(rows);
      if (rows.length < PAGE) return;
      after = rows.at(-1)!.id;
    }
  };
}

/**
 * The parts of a contact's privacy export, in document order. Reads everything of the workspace about the person,
 * whatever the caller's record scope (`privacy:manage` is a workspace-wide duty), and records that the export happened.
 */
export async function exportParts(ctx: RequestContext, globalId: string): Promise<ExportPart[]> {
  const workspaceId = workspaceOf(ctx);
  // the document is whole or nothing: a role or API key that hides contact fields does not get it
  if (ctx.principal.access.hiddenFields('Contact').size)
    throw InputRejected.one('contactId', 'your role or API key hides contact fields: it cannot export personal data', ErrorCode.FORBIDDEN);
  const s: LoadedSubject = await loadSubject(ctx, globalId);
  const ids = s.contactIds;
  const main = s.rows.find((r) => r.id === s.contactId)!;
  const defs = await ctx.em.execute<SqlRow[]>(
    `select key, label, type from custom_field_definition where workspace_id = ? and object_type = 'Contact'`,
    [workspaceId],
  );
  const customFields = (row: SqlRow) =>
    Object.entries((row.custom_fields ?? {}) as Record<string, unknown>).map(([key, value]) => ({
      key,
      label: defs.find((d) => d.key === key)?.label ?? key,
      value,
    }));
  const tags = await ctx.em.execute<SqlRow[]>(
    `select ct.contact_id, t.name from contact_tag ct join tag t on t.id = ct.tag_id where ct.contact_id in (${marks(ids.length)}) order by t.name`,
    [...ids],
  );
  const activityIds = `select entry_id from timeline_link where workspace_id = ? and entry_kind = 'activity' and target_type = 'Contact' and target_id in (${marks(ids.length)})`;
  const handlers = privacyHandlersOf(ctx.em);
  const modules = await ctx.em.execute<SqlRow[]>('select plugin_id, enabled from workspace_module where workspace_id = ?', [workspaceId]);

  await recordAuditAs(ctx, { action: 'contact.personalDataExported', objectType: 'Contact', objectId: s.contactId });

  return [
    { key: 'format', value: 'crm-privacy-export/1' },
    { key: 'exportedAt', value: new Date().toISOString() },
    { key: 'contactId', value: toGlobalId('Contact', s.contactId) },
    {
      key: 'contact',
      value: { ...jsonRow(main), customFields: customFields(main), tags: tags.filter((t) => t.contact_id === main.id).map((t) => t.name) },
    },
    {
      key: 'mergedContacts',
      value: s.rows
        .filter((r) => r.id !== s.contactId)
        .map((r) => ({ ...jsonRow(r), customFields: customFields(r), tags: tags.filter((t) => t.contact_id === r.id).map((t) => t.name) })),
    },
    {
      key: 'activities',
      pages: paged(
        ctx,
        `select * from activity where workspace_id = ? and id in (${activityIds})`,
        [workspaceId, workspaceId, ...ids],
        async (rows) => {
          const comments = await ctx.em.execute<SqlRow[]>(
            `select id, activity_id, author_id, body, created_at, edited_at, deleted_at from comment where workspace_id = ? and activity_id in (${marks(rows.length)}) order by created_at`,
            [workspaceId, ...rows.map((r) => r.id)],
          );
          return rows.map((r) => ({ ...jsonRow(r), comments: comments.filter((c) => c.activity_id === r.id).map(jsonRow) }));
        },
      ),
    },
    {
      key: 'timelineEvents',
      pages: paged(
        ctx,
        `select * from timeline_event where workspace_id = ? and id in (select entry_id from timeline_link where workspace_id = ? and entry_kind = 'event' and target_type = 'Contact' and target_id in (${marks(ids.length)}))`,
        [workspaceId, workspaceId, ...ids],
      ),
    },
    {
      key: 'emailMessages',
      pages: paged(
        ctx,
        `select id, template_id, to_address, cc, from_address, subject, html, text, status, sent_at, created_at, source from email_message where workspace_id = ? and (contact_id in (${marks(ids.length)}) or lower(to_address) in (select jsonb_array_elements_text(cast(? as jsonb))))`,
        [workspaceId, ...ids, JSON.stringify(s.emails)],
      ),
    },
    {
      key: 'automationRuns',
      pages: paged(
        ctx,
        `select r.id, r.rule_id, ru.name as rule_name, r.status, r.created_at, r.updated_at, r.error from automation_run r join automation_rule ru on ru.id = r.rule_id where r.workspace_id = ? and r.record_type = 'Contact' and r.record_id in (${marks(ids.length)})`,
        [workspaceId, ...ids],
      ),
    },
    {
      key: 'auditEntries',
      pages: paged(
        ctx,
        `select id, occurred_at, actor_user_id, actor_api_key_id, action, object_type, object_id, changes, metadata from audit_log where workspace_id = ? and object_id in (${marks(ids.length)})`,
        [workspaceId, ...ids],
      ),
    },
    {
      key: 'erasures',
      value: (
        await ctx.em.execute<SqlRow[]>(
          'select id, mode, erased_at, actor_user_id, sections from privacy_erasure where workspace_id = ? and contact_id = ?',
          [workspaceId, s.contactId],
        )
      ).map(jsonRow),
    },
    {
      key: 'plugins',
      value: Object.fromEntries(
        await Promise.all(
          handlers.map(async ({ plugin, enabledByDefault, handler }) => {
            const stored = modules.find((m) => m.plugin_id === plugin);
            return [
              plugin,
              {
                enabled: stored ? stored.enabled === true || stored.enabled === 't' : enabledByDefault,
                data: await handler.export(ctx, s),
              },
            ];
          }),
        ),
      ),
    },
  ];
}

/** The whole document as one value (GraphQL). */
export async function exportDocument(ctx: RequestContext, globalId: string): Promise<Record<string, unknown>> {
  const doc: Record<string, unknown> = {};
  for (const part of await exportParts(ctx, globalId)) {
    if ('value' in part) doc[part.key] = part.value;
    else {
      const rows: unknown[] = [];
      for await (const page of part.pages()) rows.push(...page);
      doc[part.key] = rows;
    }
  }
  return doc;
}

/** The same document as JSON text, page by page (HTTP): memory stays at one page however much the person has. */
export async function* exportJsonChunks(parts: ExportPart[]): AsyncGenerator<string> {
  yield '{';
  let firstKey = true;
  for (const part of parts) {
    yield `${firstKey ? '' : ','}${JSON.stringify(part.key)}:`;
    firstKey = false;
    if ('value' in part) {
      yield JSON.stringify(part.value);
      continue;
    }
    yield '[';
    let first = true;
    for await (const page of part.pages()) {
      for (const row of page) {
        yield `${first ? '' : ','}${JSON.stringify(row)}`;
        first = false;
      }
    }
    yield ']';
  }
  yield '}';
}
