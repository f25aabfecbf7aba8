import {
  ErrorCode,
  InputRejected,
  Sql,
  defineAutomationAction,
  expectGlobalId,
  sql,
  tagsLoader,
  toGlobalId,
  z,
  type AutomationContribution,
  type AutomationRecordType,
  type DefaultRule,
  type Facts,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { DealPriority, DealStatus } from '../entities.js';
import { DEAL, PIPELINE_STAGE } from '../deals/deal-scope.js';
import { moveDealToStage, updateDeal } from '../deals/deal.service.js';
import { dealCreated, dealLost, dealReopened, dealStageChanged, dealWon } from '../events.js';

const iso = (v: unknown) => (v == null ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const gid = (type: string, v: unknown) => (v == null ? null : toGlobalId(type, String(v)));
const json = (v: unknown): Record<string, unknown> => ((typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>) ?? {};

/** The stored version of a live deal (the update services check it). */
async function dealVersion(ctx: RequestContext, id: string): Promise<number> {
  const q = sql`select version from deal where workspace_id = ${ctx.principal.workspaceId} and id = ${id} and deleted_at is null`;
  const [row] = await ctx.em.execute<{ version: number }[]>(q.text, q.params);
  if (!row) throw InputRejected.one('id', 'the deal no longer exists');
  return Number(row.version);
}

/** Deals as automation sees them: their fields, their company's and primary contact's under `company.` / `primaryContact.`. */
export const dealRecordType: AutomationRecordType = {
  name: DEAL,
  eventPrefix: 'deal',
  customObjectType: DEAL,
  related: {
    company: { recordType: 'Company', idField: 'companyId' },
    primaryContact: { recordType: 'Contact', idField: 'primaryContactId' },
  },
  fields: {
    name: { kind: 'string', writeAs: 'name' },
    status: { kind: 'enum', values: Object.values(DealStatus) },
    priority: { kind: 'enum', values: Object.values(DealPriority), writeAs: 'priority' },
    source: { kind: 'string', writeAs: 'source' },
    amount: { kind: 'number', label: 'Amount (minor units)' },
    currency: { kind: 'string' },
    pipelineId: { kind: 'record', label: 'Pipeline' },
    stageId: { kind: 'record', label: 'Stage' },
    ownerId: { kind: 'user', label: 'Owner' },
    companyId: { kind: 'record', label: 'Company' },
    primaryContactId: { kind: 'record', label: 'Primary contact' },
    expectedCloseDate: { kind: 'date', writeAs: 'expectedCloseDate' },
    stageEnteredAt: { kind: 'date', label: 'Entered its stage' },
    closedAt: { kind: 'date' },
    createdAt: { kind: 'date' },
    updatedAt: { kind: 'date' },
    tags: { kind: 'tags', label: 'Tags (by name)' },
  },
  // the deal events carry the new stage or status themselves
  states: {
    stageId: [
      { event: dealCreated.type, valueOf: (p) => gid(PIPELINE_STAGE, p.stageId) },
      { event: dealStageChanged.type, valueOf: (p) => gid(PIPELINE_STAGE, p.toStageId) },
    ],
    status: [
      { event: dealWon.type, valueOf: () => DealStatus.WON },
      { event: dealLost.type, valueOf: () => DealStatus.LOST },
      { event: dealReopened.type, valueOf: () => DealStatus.OPEN },
    ],
  },
  table: {
    name: 'deal',
    dateColumns: {
      createdAt: 'created_at',
      updatedAt: 'updated_at',
      expectedCloseDate: 'expected_close_date',
      stageEnteredAt: 'stage_entered_at',
      closedAt: 'closed_at',
    },
    liveWhere: 'deleted_at is null',
  },
  async load(ctx, ids) {
    if (!ids.length) return new Map();
    const q = sql`select d.id, d.name, d.status, d.priority, d.source, d.amount, d.currency, d.pipeline_id, d.stage_id, d.owner_id, d.company_id,
        d.expected_close_date, d.stage_entered_at, d.closed_at, d.created_at, d.updated_at, d.custom_fields,
        (select dc.contact_id from deal_contact dc where dc.deal_id = d.id order by dc.is_primary desc, dc.position limit 1) as primary_contact_id
      from deal d where d.workspace_id = ${ctx.principal.workspaceId} and d.deleted_at is null and d.id in (${Sql.join(
        ids.map((id) => sql`${id}`),
        ', ',
      )})`;
    const rows = await ctx.em.execute<Record<string, unknown>[]>(q.text, q.params);
    const tags = await tagsLoader(ctx, DEAL).loadMany(rows.map((r) => String(r.id)));
    return new Map(
      rows.map((r, i) => {
        const dealTags = tags[i];
        const facts: Facts = {
          id: String(r.id),
          name: r.name,
          status: r.status,
          priority: r.priority ?? null,
          source: r.source ?? null,
          amount: r.amount == null ? null : Number(r.amount),
          currency: r.currency ?? null,
          pipelineId: gid('Pipeline', r.pipeline_id),
          stageId: gid(PIPELINE_STAGE, r.stage_id),
          ownerId: gid('User', r.owner_id),
          companyId: gid('Company', r.company_id),
          primaryContactId: gid('Contact', r.primary_contact_id),
          expectedCloseDate: r.expected_close_date == null ? null : String(r.expected_close_date).slice(0, 10),
          stageEnteredAt: iso(r.stage_entered_at),
          closedAt: iso(r.closed_at),
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
          tags: Array.isArray(dealTags) ? dealTags.map((t) => t.name.toLowerCase()) : [],
        };
        for (const [key, value] of Object.entries(json(r.custom_fields))) facts[`custom.${key}`] = value;
        return [String(r.id), facts];
      }),
    );
  },
  async update(ctx, id, patch) {
    let tagIds: string[] | undefined;
    if (patch.addTagIds?.length || patch.removeTagIds?.length) {
      const current = (await tagsLoader(ctx, DEAL).load(id)).map((t) => t.id);
      const removed = new Set(patch.removeTagIds ?? []);
      tagIds = [...new Set([...current, ...(patch.addTagIds ?? [])])].filter((t) => !removed.has(t)).map((t) => toGlobalId('Tag', t));
    }
    await updateDeal(ctx, {
      id: toGlobalId(DEAL, id),
      version: await dealVersion(ctx, id),
      ...patch.fields,
      ...(patch.customFields ? { customFields: patch.customFields } : {}),
      ...(patch.ownerId !== undefined ? { ownerId: patch.ownerId ? toGlobalId('User', patch.ownerId) : null } : {}),
      ...(tagIds ? { tagIds } : {}),
    });
  },
};

/** Moves the deal to a stage (of its pipeline): `{ type: 'pipeline.moveDealToStage', stageId }`. */
export const moveToStageAction = defineAutomationAction<{ stageId: string }>({
  type: 'pipeline.moveDealToStage',
  description: 'Moves the deal to a stage of its pipeline (a closed deal moved to an open stage reopens).',
  recordTypes: [DEAL],
  params: z.strictObject({ stageId: z.string().max(200) }),
  async validate({ params, ctx, path }) {
    const id = expectGlobalId(params.stageId, PIPELINE_STAGE, `${path}.stageId`);
    const q = sql`select 1 from pipeline_stage where workspace_id = ${ctx.principal.workspaceId} and id = ${id}`;
    if (!(await ctx.em.execute(q.text, q.params)).length)
      throw InputRejected.one(`${path}.stageId`.split('.'), 'stage not found', ErrorCode.NOT_FOUND);
  },
  async run({ ctx, record, params }) {
    if (!record) throw InputRejected.one('stageId', 'this step needs a deal');
    await moveDealToStage(ctx, { id: toGlobalId(DEAL, record.id), version: await dealVersion(ctx, record.id), stageId: params.stageId });
    return { stageId: params.stageId };
  },
});

const onWon = { type: 'event', event: dealWon.type };

/**
 * What the pipeline used to do in code on `deal.won`, as three ordinary rules every workspace gets (and may change,
 * switch off or delete).
 */
export const wonDealRules: DefaultRule[] = [
  {
    name: 'won-deal-contact-customer',
    title: 'Won deal: the primary contact becomes a customer',
    description: 'When a deal is won, its primary contact’s lifecycle stage becomes CUSTOMER (unless it already is).',
    definition: {
      trigger: onWon,
      conditions: {
        all: [
          { field: 'primaryContactId', op: 'isNotEmpty' },
          { field: 'primaryContact.lifecycleStage', op: 'neq', value: 'CUSTOMER' },
        ],
      },
      actions: [{ type: 'updateRelated', relation: 'primaryContact', fields: { lifecycleStage: 'CUSTOMER' } }],
    },
  },
  {
    name: 'won-deal-account-manager',
    title: 'Won deal: the deal owner becomes the company’s account manager',
    description: 'When a deal is won and its company has no owner, the deal owner becomes the company’s owner.',
    definition: {
      trigger: onWon,
      conditions: {
        all: [
          { field: 'companyId', op: 'isNotEmpty' },
          { field: 'company.ownerId', op: 'isEmpty' },
          { field: 'ownerId', op: 'isNotEmpty' },
        ],
      },
      actions: [{ type: 'updateRelated', relation: 'company', ownerFromField: 'ownerId' }],
    },
  },
  {
    name: 'won-deal-follow-up-task',
    title: 'Won deal: a follow-up task for the deal owner',
    description: 'When a deal is won, a follow-up task due in 3 days for its owner, on the deal and its company.',
    definition: {
      trigger: onWon,
      actions: [
        {
          type: 'createTask',
          subject: 'Follow up on won deal: {{ record.name }}',
          dueInDays: 3,
          priority: 'NORMAL',
          assignTo: 'recordOwner',
          alsoOnRelated: ['company'],
        },
      ],
    },
  },
];

export const pipelineAutomation: AutomationContribution = {
  recordTypes: [dealRecordType],
  actions: [moveToStageAction],
  defaultRules: wonDealRules,
};
