import { z } from 'zod';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number({ message: 'must be a port number (0–65535)' }).int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PGLITE_DIR: z.string().min(1).default('./.data/pglite'),
  SEED_DEMO: z.enum(['true', 'false', '1', '0'], { message: 'must be true or false' }).default('true').transform((v) => v === 'true' || v === '1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce.number({ message: 'must be a number of bytes' }).int().positive().default(16 * 1024 * 1024),
  IMPORT_BATCH_SIZE: z.coerce.number({ message: 'must be a whole number from 1 to 20000' }).int().min(1).max(20000).optional(),
});

export type AppConfig = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** Reads and validates configuration from the environment; one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
