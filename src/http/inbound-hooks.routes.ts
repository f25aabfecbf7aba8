import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm.js';
import { INTEGRATION_BODY_LIMIT, InboundRejected, receiveIntegrationPost } from '../core/integrations/integration.service.js';

/**
 * `POST /hooks/in/<token>`: an inbound integration's post (a JSON object or array, at most 64 KB) becomes an
 * `integration.received` event in the token's workspace. `Idempotency-Key` makes replays harmless: the first post's
 * event id comes back and nothing is written. 202 `{ eventId, replayed }`; 401 on an unknown or revoked token; 400 on
 * malformed JSON or key; 413 over the size limit; 415 for a body that is not JSON.
 */
export function registerInboundHookRoutes(http: FastifyInstance, { orm, logger }: { orm: Orm; logger: Logger }): void {
  http.post<{ Params: { token: string }; Headers: { 'idempotency-key'?: string } }>(
    '/hooks/in/:token',
    { bodyLimit: INTEGRATION_BODY_LIMIT },
    async (request, reply) => {
      if (!request.headers['content-type']?.toLowerCase().startsWith('application/json')) {
        return reply.code(415).send({ error: 'the body must be application/json' });
      }
      try {
        const result = await receiveIntegrationPost(orm, request.params.token, request.body, request.headers['idempotency-key']);
        return reply.code(202).send(result);
      } catch (error) {
        if (error instanceof InboundRejected) return reply.code(error.status).send({ error: error.message });
        logger.error({ err: error }, 'inbound integration post failed');
        return reply.code(500).send({ error: 'internal error' });
      }
    },
  );
}
