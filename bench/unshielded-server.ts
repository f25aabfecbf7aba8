/**
 * The API without graphql-shield, for the benchmark's shield-on/off comparison only: the same server, schema,
 * resolvers and record scopes (those live in the SQL), minus the authorization layer.
 */
import { serve } from '../src/server.js';
import { buildUnshieldedSchema } from '../src/app/schema.js';

await serve({ schema: () => buildUnshieldedSchema() });
