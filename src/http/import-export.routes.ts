import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm.js';
import type { SqlRow } from '../db/sql.js';
import type { AppConfig } from '../config.js';
import { GraphQLError } from 'graphql';
import { readCredentials } from './credentials.js';
import { createRequestContext } from '../graphql/context.js';
import { endSessionWithResponse, openRequestSession } from '../db/request-session.js';
import { withWorkspace } from '../db/rls/tenant-context.js';
import { ErrorCode, InputRejected } from '../graphql/errors.js';
import { toGlobalId } from '../graphql/global-id.js';
import type { Principal } from '../graphql/context.js';
import { checkMapping, createImportJob, ImportRejected, importCsvStream, MAX_IMPORT_BYTES } from '../core/import-export/import-engine.js';
import { EXPORT_KINDS, exportRows, parseExportFilter } from '../core/import-export/export-engine.js';
import { exportDenied, importAccessOf, importDenied } from '../core/import-export/import-export.access.js';
import type { ImportObjectKind } from '../core/import-export/import-fields.js';
import { auditActorFor } from '../db/audit-context.js';

const KINDS: ImportObjectKind[] = ['contacts', 'companies'];

/** The JSON shape of an import job over HTTP (ids are global ids, like in GraphQL). */
export function importJobJson(row: SqlRow) {
  return {
    id: toGlobalId('ImportJob', row.id),
    objectType: row.object_type === 'Company' ? 'companies' : 'contacts',
    status: row.status,
    fileName: row.file_name,
    processedRows: row.processed_rows,
    createdCount: row.created_count,
    updatedCount: row.updated_count,
    failedCount: row.failed_count,
    failureMessage: row.failure_message,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

const fail = (reply: FastifyReply, status: number, code: ErrorCode, message: string, field?: string) =>
  reply.code(status).send({ error: { code, message, ...(field ? { field } : {}) } });

/** CSV import and export over HTTP (streaming bodies). */
export function registerImportExportRoutes(
  http: FastifyInstance,
  { orm, config, logger }: { orm: Orm; config: AppConfig; logger: Logger },
): void {
  // the body stays a stream: the import reads it with backpressure instead of buffering it
  http.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) => done(null, payload));

  async function principalOr401(request: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
    try {
      const credentials = await readCredentials(orm, config, request.headers);
      if (credentials.workspaceId) {
        const session = await openRequestSession(orm, credentials.workspaceId);
        try {
          const principal = await credentials.principal(session.em);
          await session.end();
          return principal;
        } catch (error) {
          await session.end(error);
          throw error;
        }
      }
      fail(reply, 401, ErrorCode.UNAUTHENTICATED, 'Sign in first: send `Authorization: Bearer <access token or API key>`.');
    } catch (error) {
      if (!(error instanceof GraphQLError && error.extensions.code === ErrorCode.UNAUTHENTICATED)) throw error;
      fail(reply, 401, ErrorCode.UNAUTHENTICATED, error.message);
    }
    return null;
  }

  http.post<{ Params: { objectType: string }; Querystring: { mapping?: string; async?: string; fileName?: string } }>(
    '/imports/:objectType',
    { bodyLimit: MAX_IMPORT_BYTES },
    async (request, reply) => {
      const body = request.body;
      const principal = await principalOr401(request, reply);
      if (!principal) return reply;
      const kind = request.params.objectType as ImportObjectKind;
      if (!KINDS.includes(kind))
        return fail(reply, 404, ErrorCode.NOT_FOUND, `cannot import "${kind}": use contacts or companies`, 'objectType');
      const denied = importDenied(principal, kind);
      if (denied) return fail(reply, 403, ErrorCode.FORBIDDEN, denied);
      if (!(body instanceof Readable))
        return fail(reply, 415, ErrorCode.BAD_USER_INPUT, 'send the CSV as the request body with content-type text/csv', 'body');
      let mapping: Record<string, string> | null;
      try {
        mapping = checkMapping(kind, request.query.mapping ? JSON.parse(request.query.mapping) : null);
      } catch (error) {
        const message = error instanceof ImportRejected ? error.message : 'mapping is not valid JSON';
        return fail(reply, 400, ErrorCode.BAD_USER_INPUT, message, 'mapping');
      }
      const workspaceId = principal.workspaceId!;
      const jobId = await createImportJob(orm, workspaceId, kind, mapping, request.query.fileName ?? null);
      const run = importCsvStream(orm, workspaceId, kind, body, mapping, {
        jobId,
        batchSize: config.IMPORT_BATCH_SIZE,
        logger: request.log as never,
        access: importAccessOf(principal, kind),
        auditActor: auditActorFor(principal, request.ip),
      });
      const jobRow = () =>
        withWorkspace(
          orm,
          workspaceId,
          async (em) => (await em.execute('select * from import_job where id = ?', [jobId]))[0] as Record<string, unknown>,
        );
      if (request.query.async === 'true') {
        run.catch((error) => logger.error({ err: error, jobId }, 'CSV import failed'));
        return reply.code(202).send(importJobJson(await jobRow()));
      }
      await run;
      return reply.code(200).send(importJobJson(await jobRow()));
    },
  );

  http.get<{ Params: { file: string }; Querystring: { filter?: string } }>('/exports/:file', async (request, reply) => {
    const principal = await principalOr401(request, reply);
    if (!principal) return reply;
    const kind = EXPORT_KINDS.find((k) => request.params.file === `${k}.csv`);
    if (!kind)
      return fail(reply, 404, ErrorCode.NOT_FOUND, `export one of: ${EXPORT_KINDS.map((k) => `${k}.csv`).join(', ')}`, 'objectType');
    const denied = exportDenied(principal, kind);
    if (denied) return fail(reply, 403, ErrorCode.FORBIDDEN, denied);
    const session = await openRequestSession(orm, principal.workspaceId, { userId: principal.userId });
    // the rows stream after this handler returns: the session (one transaction on PostgreSQL) ends with the response
    let streamError: unknown;
    endSessionWithResponse(reply.raw, session, () => streamError);
    const ctx = createRequestContext(orm, config, request.log as never, session, principal);
    let rows: AsyncGenerator<unknown[]>;
    let first: IteratorResult<unknown[]>;
    try {
      rows = exportRows(ctx, kind, parseExportFilter(kind, request.query.filter));
      // the header is produced after the filter is checked: bad filters still get a 400
      first = await rows.next();
    } catch (error) {
      await session.end(error);
      if (error instanceof InputRejected)
        return fail(reply, 400, ErrorCode.BAD_USER_INPUT, error.message, error.errors[0]!.field.join('.'));
      // a filter on a field hidden by the caller's allowlist
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.FORBIDDEN)
        return fail(reply, 403, ErrorCode.FORBIDDEN, error.message, 'filter');
      throw error;
    }
    const source = Readable.from(
      (async function* () {
        if (!first.done) yield first.value;
        yield* rows;
      })(),
    );
    const csv = stringify({ cast: { boolean: (b) => (b ? 'true' : 'false') } });
    source.on('error', (error) => {
      streamError = error;
      logger.error({ err: error }, 'CSV export failed');
      csv.destroy(error);
    });
    reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${kind}.csv"`);
    return reply.send(source.pipe(csv));
  });
}
