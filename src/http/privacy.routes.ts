import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { GraphQLError } from 'graphql';
import type { Orm } from '../db/orm.js';
import type { AppConfig } from '../config.js';
import { readCredentials } from './credentials.js';
import { createRequestContext, type Principal } from '../graphql/context.js';
import { endSessionWithResponse, openRequestSession } from '../db/request-session.js';
import { ErrorCode, InputRejected } from '../graphql/errors.js';
import { exportJsonChunks, exportParts } from '../core/privacy/index.js';

const fail = (reply: FastifyReply, status: number, code: ErrorCode, message: string) =>
  reply.code(status).send({ error: { code, message } });

/**
 * `GET /privacy/contacts/:id/export`: the document of `exportPersonalData`, streamed page by page (a contact with a
 * hundred thousand activities does not sit in memory). Same credentials as GraphQL; needs `privacy:manage`.
 */
export function registerPrivacyRoutes(
  http: FastifyInstance,
  { orm, config, logger }: { orm: Orm; config: AppConfig; logger: Logger },
): void {
  http.get<{ Params: { id: string } }>('/privacy/contacts/:id/export', async (request, reply) => {
    let principal: Principal;
    try {
      const credentials = await readCredentials(orm, config, request.headers);
      if (!credentials.workspaceId)
        return fail(reply, 401, ErrorCode.UNAUTHENTICATED, 'Sign in first: send `Authorization: Bearer <access token or API key>`.');
      const session = await openRequestSession(orm, credentials.workspaceId);
      try {
        principal = await credentials.principal(session.em);
        await session.end();
      } catch (error) {
        await session.end(error);
        throw error;
      }
    } catch (error) {
      if (!(error instanceof GraphQLError && error.extensions.code === ErrorCode.UNAUTHENTICATED)) throw error;
      return fail(reply, 401, ErrorCode.UNAUTHENTICATED, error.message);
    }
    if (!principal.access.can('privacy:manage')) return fail(reply, 403, ErrorCode.FORBIDDEN, 'needs the privacy:manage permission');
    const session = await openRequestSession(orm, principal.workspaceId, { userId: principal.userId });
    let streamError: unknown;
    endSessionWithResponse(reply.raw, session, () => streamError);
    const ctx = createRequestContext(orm, config, request.log as never, session, principal);
    let parts: Awaited<ReturnType<typeof exportParts>>;
    try {
      parts = await exportParts(ctx, request.params.id);
    } catch (error) {
      await session.end(error);
      if (error instanceof InputRejected) {
        const code = error.errors[0]!.code;
        return fail(reply, code === ErrorCode.NOT_FOUND ? 404 : code === ErrorCode.FORBIDDEN ? 403 : 400, code, error.message);
      }
      throw error;
    }
    const body = Readable.from(exportJsonChunks(parts));
    body.on('error', (error) => {
      streamError = error;
      logger.error({ err: error }, 'privacy export failed');
    });
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="personal-data.json"`)
      .send(body);
  });
}
