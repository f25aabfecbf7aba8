import { startPluginServer, type PluginTestServer } from '../../../src/sdk/testing.js';
import pipeline from '../../../plugins/pipeline/plugin.js';
import { CREATE_PIPELINE, PIPELINE_FIELDS, SALES_STAGES, createDeal, createPipeline, stageByName } from './helpers.js';

/** Pipelines and their stages: admin mutations, validation, deals moved when stages or pipelines go. */

const ERRORS = `userErrors { field message code }`;
const PIPELINES = `{ pipelines { ${PIPELINE_FIELDS} } }`;
const UPDATE = `mutation($i: UpdatePipelineInput!) { updatePipeline(input: $i) { pipeline { ${PIPELINE_FIELDS} } ${ERRORS} } }`;
const ADD_STAGE = `mutation($i: AddPipelineStageInput!) { addPipelineStage(input: $i) { stage { id name position probability kind rottingDays } pipeline { ${PIPELINE_FIELDS} } ${ERRORS} } }`;
const UPDATE_STAGE = `mutation($i: UpdatePipelineStageInput!) { updatePipelineStage(input: $i) { stage { id name probability kind rottingDays } ${ERRORS} } }`;
const REORDER = `mutation($i: ReorderPipelineStagesInput!) { reorderPipelineStages(input: $i) { pipeline { ${PIPELINE_FIELDS} } ${ERRORS} } }`;
const DELETE_STAGE = `mutation($i: DeletePipelineStageInput!) { deletePipelineStage(input: $i) { pipeline { ${PIPELINE_FIELDS} } ${ERRORS} } }`;
const DELETE_PIPELINE = `mutation($i: DeletePipelineInput!) { deletePipeline(input: $i) { deletedId movedDeals ${ERRORS} } }`;
const DEAL = `query($id: ID!) { deal(id: $id) { id status version stage { id name } pipeline { id } stageHistory { stage { name } leftAt } } }`;

describe('pipeline plugin: pipelines and stages', () => {
  let server: PluginTestServer;
  beforeAll(async () => {
    server = await startPluginServer([pipeline]);
  });
  afterAll(async () => {
    await server?.close();
  });

  const count = async (table: string, workspaceId: string) =>
    Number(
      (await server.orm.em.getConnection().execute(`select count(*)::int as n from ${table} where workspace_id = ?`, [workspaceId]))[0].n,
    );
  const counts = async (ws: { id: string }) => ({
    pipeline: await count('pipeline', ws.id),
    stage: await count('pipeline_stage', ws.id),
    deal: await count('deal', ws.id),
    history: await count('deal_stage_history', ws.id),
    outbox: await count('outbox_event', ws.id),
  });

  it('creates pipelines with ordered stages; the first is the default; lists them in order', async () => {
    const ws = await server.newWorkspace();
    const sales = await createPipeline(ws, 'Sales');
    expect(sales.isDefault).toBe(true);
    expect(sales.stages.map((s) => [s.name, s.position, s.probability, s.kind, s.rottingDays])).toEqual([
      ['Lead', 0, 10, 'OPEN', 14],
      ['Qualified', 1, 25, 'OPEN', null],
      ['Proposal', 2, 50, 'OPEN', null],
      ['Won', 3, 100, 'WON', null],
      ['Lost', 4, 0, 'LOST', null],
    ]);
    const renewals = await createPipeline(ws, 'Renewals');
    expect(renewals.isDefault).toBe(false);
    const { pipelines } = await ws.ok(PIPELINES);
    expect(pipelines.map((p: { name: string; isDefault: boolean }) => [p.name, p.isDefault])).toEqual([
      ['Sales', true],
      ['Renewals', false],
    ]);
    // making another the default clears the flag on the first
    const updated = await ws.ok(UPDATE, { i: { id: renewals.id, isDefault: true, name: 'Renewals 2027' } });
    expect(updated.updatePipeline.userErrors).toEqual([]);
    expect(updated.updatePipeline.pipeline).toMatchObject({ name: 'Renewals 2027', isDefault: true });
    expect((await ws.ok(PIPELINES)).pipelines.map((p: { isDefault: boolean }) => p.isDefault)).toEqual([false, true]);
    // node(id:) reaches pipelines
    const node = await ws.ok(`query($id: ID!) { node(id: $id) { ... on Pipeline { name } } }`, { id: sales.id });
    expect(node.node).toEqual({ name: 'Sales' });
  });

  it('rejects invalid pipelines with typed errors and writes nothing', async () => {
    const ws = await server.newWorkspace();
    await createPipeline(ws, 'Sales');
    const before = await counts(ws);
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ name: 'No won', stages: SALES_STAGES.filter((s) => s.kind !== 'WON') }, ['stages'], 'BAD_USER_INPUT'],
      [
        {
          name: 'No open',
          stages: SALES_STAGES.filter((s) => s.kind !== 'OPEN').concat({ name: 'Also lost', probability: 0, kind: 'LOST' }),
        },
        ['stages'],
        'BAD_USER_INPUT',
      ],
      [{ name: 'sales', stages: SALES_STAGES }, ['name'], 'CONFLICT'],
      [{ name: 'Dupes', stages: [...SALES_STAGES, { name: 'lead', probability: 5, kind: 'OPEN' }] }, ['stages', '5', 'name'], 'CONFLICT'],
      [
        { name: 'Bad probability', stages: SALES_STAGES.map((s, i) => (i === 0 ? { ...s, probability: 101 } : s)) },
        ['stages', '0', 'probability'],
        'BAD_USER_INPUT',
      ],
      [
        { name: 'Bad rotting', stages: SALES_STAGES.map((s, i) => (i === 0 ? { ...s, rottingDays: 0 } : s)) },
        ['stages', '0', 'rottingDays'],
        'BAD_USER_INPUT',
      ],
      [{ name: '  ', stages: SALES_STAGES }, ['name'], 'BAD_USER_INPUT'],
    ];
    for (const [input, field, code] of cases) {
      const { createPipeline: payload } = await ws.ok(CREATE_PIPELINE, { i: input });
      expect(payload.pipeline).toBeNull();
      expect(payload.userErrors[0]).toMatchObject({ field, code });
    }
    expect(await counts(ws)).toEqual(before);
  });

  it('adds, updates and reorders stages; a reorder must be a permutation', async () => {
    const ws = await server.newWorkspace();
    const p = await createPipeline(ws);
    const added = await ws.ok(ADD_STAGE, {
      i: { pipelineId: p.id, name: 'Negotiation', probability: 75, kind: 'OPEN', rottingDays: 7, position: 3 },
    });
    expect(added.addPipelineStage.userErrors).toEqual([]);
    expect(added.addPipelineStage.stage).toMatchObject({ name: 'Negotiation', position: 3, probability: 75, kind: 'OPEN', rottingDays: 7 });
    expect(added.addPipelineStage.pipeline.stages.map((s: { name: string }) => s.name)).toEqual([
      'Lead',
      'Qualified',
      'Proposal',
      'Negotiation',
      'Won',
      'Lost',
    ]);

    const negotiation = added.addPipelineStage.stage.id;
    const updated = await ws.ok(UPDATE_STAGE, { i: { id: negotiation, name: 'Negotiating', probability: 80, rottingDays: null } });
    expect(updated.updatePipelineStage).toEqual({
      stage: { id: negotiation, name: 'Negotiating', probability: 80, kind: 'OPEN', rottingDays: null },
      userErrors: [],
    });

    // duplicate name, last WON stage turned OPEN: refused
    expect((await ws.ok(UPDATE_STAGE, { i: { id: negotiation, name: 'LEAD' } })).updatePipelineStage.userErrors[0]).toMatchObject({
      field: ['name'],
      code: 'CONFLICT',
    });
    expect(
      (await ws.ok(UPDATE_STAGE, { i: { id: stageByName(p, 'Won').id, kind: 'OPEN' } })).updatePipelineStage.userErrors[0],
    ).toMatchObject({ field: ['kind'] });

    const current = (await ws.ok(`query($id: ID!) { pipeline(id: $id) { ${PIPELINE_FIELDS} } }`, { id: p.id })).pipeline;
    const ids = current.stages.map((s: { id: string }) => s.id);
    const reversedOpen = [ids[3], ids[2], ids[1], ids[0], ids[4], ids[5]];
    const reordered = await ws.ok(REORDER, { i: { pipelineId: p.id, stageIds: reversedOpen } });
    expect(reordered.reorderPipelineStages.userErrors).toEqual([]);
    expect(reordered.reorderPipelineStages.pipeline.stages.map((s: { name: string; position: number }) => [s.name, s.position])).toEqual([
      ['Negotiating', 0],
      ['Proposal', 1],
      ['Qualified', 2],
      ['Lead', 3],
      ['Won', 4],
      ['Lost', 5],
    ]);

    const before = await counts(ws);
    for (const stageIds of [
      ids.slice(1),
      [...ids.slice(1), ids[1]],
      [...ids.slice(1), stageByName(await createPipeline(ws, 'Other'), 'Lead').id],
    ]) {
      const { reorderPipelineStages } = await ws.ok(REORDER, { i: { pipelineId: p.id, stageIds } });
      expect(reorderPipelineStages.userErrors[0]).toMatchObject({ field: ['stageIds'], code: 'BAD_USER_INPUT' });
    }
    const after = (await ws.ok(`query($id: ID!) { pipeline(id: $id) { stages { name } } }`, { id: p.id })).pipeline.stages.map(
      (s: { name: string }) => s.name,
    );
    expect(after).toEqual(['Negotiating', 'Proposal', 'Qualified', 'Lead', 'Won', 'Lost']);
    expect((await counts(ws)).stage).toBe(before.stage + 5); // only the "Other" pipeline's stages were added
  });

  it('deletes a stage holding deals only with a target stage of the same pipeline, moving the deals with history', async () => {
    const ws = await server.newWorkspace();
    const p = await createPipeline(ws);
    const other = await createPipeline(ws, 'Other');
    const lead = stageByName(p, 'Lead');
    const deals = [await createDeal(ws, { name: 'A', stageId: lead.id }), await createDeal(ws, { name: 'B', stageId: lead.id })];
    const before = await counts(ws);

    const noTarget = await ws.ok(DELETE_STAGE, { i: { id: lead.id } });
    expect(noTarget.deletePipelineStage).toMatchObject({
      pipeline: null,
      userErrors: [{ field: ['moveDealsToStageId'], code: 'CONFLICT' }],
    });
    const foreign = await ws.ok(DELETE_STAGE, { i: { id: lead.id, moveDealsToStageId: stageByName(other, 'Lead').id } });
    expect(foreign.deletePipelineStage.userErrors[0]).toMatchObject({ field: ['moveDealsToStageId'], code: 'BAD_USER_INPUT' });
    const lastLost = await ws.ok(DELETE_STAGE, { i: { id: stageByName(p, 'Lost').id } });
    expect(lastLost.deletePipelineStage.userErrors[0]).toMatchObject({ field: ['id'] });
    expect(await counts(ws)).toEqual(before);
    expect((await ws.ok(DEAL, { id: deals[0].id })).deal.stage.name).toBe('Lead');

    const qualified = stageByName(p, 'Qualified');
    const done = await ws.ok(DELETE_STAGE, { i: { id: lead.id, moveDealsToStageId: qualified.id } });
    expect(done.deletePipelineStage.userErrors).toEqual([]);
    expect(done.deletePipelineStage.pipeline.stages.map((s: { name: string; position: number }) => [s.name, s.position])).toEqual([
      ['Qualified', 0],
      ['Proposal', 1],
      ['Won', 2],
      ['Lost', 3],
    ]);
    for (const d of deals) {
      const { deal } = await ws.ok(DEAL, { id: d.id });
      expect(deal.stage).toEqual({ id: qualified.id, name: 'Qualified' });
      expect(deal.version).toBe(d.version + 1);
      // the stay in the deleted stage is closed (its stage is gone: null), the new one is open
      expect(deal.stageHistory).toEqual([
        { stage: null, leftAt: expect.any(String) },
        { stage: { name: 'Qualified' }, leftAt: null },
      ]);
    }
    const after = await counts(ws);
    expect(after).toEqual({ ...before, stage: before.stage - 1, history: before.history + 2, outbox: before.outbox + 2 });
  });

  it('deletes a pipeline holding deals only with a target in another pipeline', async () => {
    const ws = await server.newWorkspace();
    const p = await createPipeline(ws, 'Sales');
    const other = await createPipeline(ws, 'Other');
    const deal = await createDeal(ws, { name: 'Moving', pipelineId: p.id });
    const before = await counts(ws);

    const noTarget = await ws.ok(DELETE_PIPELINE, { i: { id: p.id } });
    expect(noTarget.deletePipeline).toMatchObject({ deletedId: null, userErrors: [{ field: ['moveDealsToStageId'], code: 'CONFLICT' }] });
    const sameStage = await ws.ok(DELETE_PIPELINE, { i: { id: p.id, moveDealsToStageId: stageByName(p, 'Qualified').id } });
    expect(sameStage.deletePipeline.userErrors[0]).toMatchObject({ field: ['moveDealsToStageId'] });
    const mismatch = await ws.ok(DELETE_PIPELINE, {
      i: { id: p.id, moveDealsToPipelineId: other.id, moveDealsToStageId: stageByName(p, 'Lead').id },
    });
    expect(mismatch.deletePipeline.userErrors[0]).toMatchObject({ field: ['moveDealsToStageId'] });
    expect(await counts(ws)).toEqual(before);

    const done = await ws.ok(DELETE_PIPELINE, { i: { id: p.id, moveDealsToPipelineId: other.id } });
    expect(done.deletePipeline).toEqual({ deletedId: p.id, movedDeals: 1, userErrors: [] });
    const moved = (await ws.ok(DEAL, { id: deal.id })).deal;
    expect(moved.pipeline.id).toBe(other.id);
    expect(moved.stage.id).toBe(stageByName(other, 'Lead').id);
    // the deleted pipeline is gone from lists; the remaining one became the default
    expect((await ws.ok(PIPELINES)).pipelines.map((x: { name: string; isDefault: boolean }) => [x.name, x.isDefault])).toEqual([
      ['Other', true],
    ]);
    expect((await ws.ok(`query($id: ID!) { pipeline(id: $id) { id } }`, { id: p.id })).pipeline).toBeNull();
  });

  it('needs pipeline:manage for admin mutations (a SALES member is refused)', async () => {
    const ws = await server.newWorkspace();
    const sales = await ws.addMember('Sam Sales', 'SALES');
    const res = await sales.gql(CREATE_PIPELINE, { i: { name: 'Mine', stages: SALES_STAGES } });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await count('pipeline', ws.id)).toBe(0);
    // but may read them
    await createPipeline(ws);
    expect((await sales.ok(`{ pipelines { name } }`)).pipelines).toEqual([{ name: 'Sales' }]);
  });
});
