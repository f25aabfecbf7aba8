import { readRow } from '../../db/read-rows.js';
import { Readable } from 'node:stream';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, userError } from '../../graphql/errors.js';
import { importAccessOf, importDenied } from './import-export.access.js';
import { expectGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { kernelNodeTypes } from '../../graphql/node-registry.js';
import { ConnectionArgs, pageRequest, toConnection } from '../../graphql/relay.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { sql } from '../../db/sql.js';
import { ImportJob, ImportRowError } from './import-job.entity.js';
import { checkMapping, ImportRejected, importCsvStream } from './import-engine.js';
import {
  ImportCsvInput,
  ImportCsvPayload,
  ImportJobConnection,
  ImportJobNode,
  ImportObjectType,
  ImportRowErrorConnection,
} from './import-export.types.js';
import { auditActorFor } from '../../db/audit-context.js';

export const IMPORT_JOB = 'ImportJob';
export const MAX_INLINE_CSV_BYTES = 5 * 1024 * 1024;

@Resolver(() => ImportJobNode)
export class ImportJobResolver {
  @Query(() => ImportJobNode, { nullable: true, description: 'A CSV import of this workspace, with its progress.' })
  importJob(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return ctx.loaders.byId(ImportJob).load(expectGlobalId(id, IMPORT_JOB, 'id'));
  }

  @Query(() => ImportJobConnection, { description: 'CSV imports of this workspace, newest first.' })
  async importJobs(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    const workspaceId = workspaceOf(ctx);
    const result = await keysetPage(
      ctx.em,
      {
        from: 'import_job j',
        select: 'j.*',
        where: sql`j.workspace_id = ${workspaceId}`,
        orderBy: [{ expr: 'j.created_at', direction: 'DESC' }],
        idExpr: 'j.id',
      },
      pageRequest(page),
      (row) => readRow(ctx.em, ImportJob, row as never),
    );
    return toConnection(result);
  }

  @Mutation(() => ImportCsvPayload, {
    description: 'Imports a small CSV (≤ 5 MB) inline and returns the finished job; rows that fail are listed in job.errors.',
  })
  async importCsv(@Arg('input', () => ImportCsvInput) input: ImportCsvInput, @Ctx() ctx: RequestContext) {
    const workspaceId = workspaceOf(ctx);
    // besides import:run, importing creates and updates records of the type
    const denied = importDenied(ctx.principal, input.objectType);
    if (denied) return { job: null, userErrors: [userError('objectType', denied, ErrorCode.FORBIDDEN)] };
    if (Buffer.byteLength(input.csv, 'utf8') > MAX_INLINE_CSV_BYTES) {
      return {
        job: null,
        userErrors: [
          userError('csv', `must be at most ${MAX_INLINE_CSV_BYTES} bytes; upload larger files to POST /imports/${input.objectType}`),
        ],
      };
    }
    try {
      checkMapping(input.objectType, input.mapping);
    } catch (error) {
      if (error instanceof ImportRejected) return { job: null, userErrors: [userError(error.field, error.message)] };
      throw error;
    }
    const result = await importCsvStream(ctx.orm, workspaceId, input.objectType, Readable.from([input.csv]), input.mapping ?? null, {
      batchSize: ctx.config.IMPORT_BATCH_SIZE,
      fileName: input.fileName ?? null,
      logger: ctx.logger,
      access: importAccessOf(ctx.principal, input.objectType),
      auditActor: auditActorFor(ctx.principal, ctx.ip),
    });
    return { job: await ctx.em.findOne(ImportJob, { id: result.jobId }), userErrors: [] };
  }

  @FieldResolver(() => ID)
  id(@Root() job: ImportJob) {
    return toGlobalId(IMPORT_JOB, job.id);
  }

  @FieldResolver(() => ImportObjectType)
  objectType(@Root() job: ImportJob) {
    return job.objectType === 'Company' ? ImportObjectType.COMPANIES : ImportObjectType.CONTACTS;
  }

  @FieldResolver(() => ImportRowErrorConnection, { description: 'Rows that were not imported, in file order.' })
  async errors(@Root() job: ImportJob, @Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    const result = await keysetPage(
      ctx.em,
      {
        from: 'import_row_error e',
        select: 'e.*',
        where: sql`e.job_id = ${job.id} and e.workspace_id = ${job.workspaceId}`,
        orderBy: [{ expr: 'e.row_number', direction: 'ASC' }],
        idExpr: 'e.id',
      },
      pageRequest(page),
      (row) => readRow(ctx.em, ImportRowError, row as never),
    );
    return toConnection(result);
  }
}

kernelNodeTypes.register({
  typeName: IMPORT_JOB,
  rootClass: ImportJob,
  permission: 'import:run',
  load: (ctx, id) => ctx.loaders.byId(ImportJob).load(id),
});

/** GraphQL surface of: CSV import jobs and export. */
export const importExportResolvers: Function[] = [ImportJobResolver];
