import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

/** Development and test only: production refuses to start without its own JWT_SECRET. */
const DEV_JWT_SECRET = 'crm-development-only-jwt-secret-change-me!';

const limit = (what: string, fallback: number) =>
  z.coerce
    .number({ message: `must be ${what} (a whole number, 0 = no limit)` })
    .int()
    .min(0)
    .default(fallback);

const positive = (what: string, fallback: number) =>
  z.coerce
    .number({ message: `must be ${what} (a whole number ≥ 1)` })
    .int()
    .min(1)
    .default(fallback);

const onOff = () =>
  z
    .enum(['on', 'off', 'true', 'false', '1', '0'], { message: 'must be on or off' })
    .default('on')
    .transform((v) => v === 'on' || v === 'true' || v === '1');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number({ message: 'must be a port number (0–65535)' }).int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** The API's own PostgreSQL connection: a role that owns no table, without superuser/BYPASSRLS (row-level security
   * applies to it). Unset: the API connects as `crm_app` (provisioned by DATABASE_URL's role) to DATABASE_URL's database. */
  APP_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Password given to the provisioned `crm_app` role (when APP_DATABASE_URL is unset); without one it needs trust auth. */
  APP_DATABASE_PASSWORD: z.string().min(1).optional(),
  PGLITE_DIR: z.string().min(1).default('./.data/pglite'),
  /** Unset: seed outside production only (the demo members share a published password). */
  SEED_DEMO: z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /** GraphQL operation limits (graphql-armor; README, "Hardening"). 0 turns a limit off. */
  GRAPHQL_MAX_DEPTH: limit('a query depth', 15),
  GRAPHQL_MAX_ALIASES: limit('a number of aliases', 30),
  GRAPHQL_MAX_DIRECTIVES: limit('a number of directives', 50),
  GRAPHQL_MAX_TOKENS: limit('a number of tokens', 5000),
  GRAPHQL_MAX_COST: limit('a query cost', 500_000),
  /** GraphQL requests per minute per API key / user / anonymous IP, in each server process. 0: no limit. */
  RATE_LIMIT_PER_MINUTE: limit('a number of requests', 1200),
  /** Sign-in throttle: failed attempts per client IP and per email within LOGIN_THROTTLE_WINDOW_SECONDS. */
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number({ message: 'must be a whole number ≥ 1' }).int().min(1).default(30),
  LOGIN_MAX_FAILURES_PER_EMAIL: z.coerce.number({ message: 'must be a whole number ≥ 1' }).int().min(1).default(10),
  LOGIN_THROTTLE_WINDOW_SECONDS: z.coerce
    .number({ message: 'must be a number of seconds ≥ 1' })
    .int()
    .min(1)
    .default(15 * 60),
  /** Fastify `trustProxy` behind a load balancer: true, or the trusted proxies' addresses/CIDRs (comma-separated) — so IP limits see the client. */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | string => (v === 'true' ? true : v === 'false' || v === '' ? false : v)),
  IMPORT_BATCH_SIZE: z.coerce.number({ message: 'must be a whole number from 1 to 20000' }).int().min(1).max(20000).optional(),
  /** Outgoing mail (invitations), e.g. smtp://user:pass@mail.example.com:587 or smtps://…; unset: links are logged instead. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('CRM <no-reply@localhost>'),
  /** Base URL of the app that people open from emails (invitation links). */
  PUBLIC_URL: z.url({ message: 'must be an http(s) URL' }).default('http://localhost:4000'),
  /**
   * The URL at which this API is reachable from the internet (plugins' public routes, e.g. a campaign's tracked links:
   * `<API_PUBLIC_URL>/plugins/<id>/…`). Default: `http://localhost:<PORT>`.
   */
  API_PUBLIC_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL without query or fragment' })
    .refine((v) => !/[?#]/.test(v), { message: 'must be an http(s) URL without query or fragment' })
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  /** HS256 key of access tokens; required in production (the default only suits development and tests). */
  JWT_SECRET: z.string().min(32, { message: 'must be at least 32 characters (use a random string)' }).default(DEV_JWT_SECRET),
  /**
   * Keys of encryption at rest (TOTP seeds, webhook signing secrets…): `id:base64` entries of 32 random bytes,
   * comma-separated, newest first — the newest encrypts, every one listed decrypts (src/core/encryption). Required in
   * production; elsewhere unset means a development key derived from a public constant (logged at start-up).
   */
  ENCRYPTION_KEY: z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined))
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseEncryptionKeys(v);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number({ message: 'must be a number of seconds (60–86400)' }).int().min(60).max(86400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number({ message: 'must be a number of days (1–365)' }).int().min(1).max(365).default(30),
  /** Background workers in this process: `off` when other processes run them (the outbox worker, the job queue's workers). */
  OUTBOX_WORKER: onOff(),
  OUTBOX_POLL_MS: positive('a number of milliseconds', 200),
  OUTBOX_CONCURRENCY: positive('a number of workspace batches', 8),
  OUTBOX_BACKOFF_BASE_MS: positive('a number of milliseconds', 1000),
  OUTBOX_LEASE_MARGIN_MS: positive('a number of milliseconds', 30_000),
  /** Whether this process runs jobs from the job queue (it always enqueues). */
  JOB_RUNNER: onOff(),
  /** PostgreSQL connections of the job queue's own pool. */
  JOB_QUEUE_POOL: positive('a number of connections', 4),
  /**
   * Outbound webhooks (src/core/webhooks): hosts, addresses and CIDRs (comma-separated) that endpoints may target even
   * though they are private, loopback or link-local — e.g. `127.0.0.1,hooks.internal,10.20.0.0/16`. Empty: none.
   */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) =>
          s
            .trim()
            .toLowerCase()
            .replace(/^\[(.*)\]$/, '$1'),
        )
        .filter(Boolean),
    )
    .refine((entries) => entries.every(isAllowedHostEntry), {
      message: 'must be comma-separated host names, IP addresses or CIDRs (e.g. 127.0.0.1,hooks.internal,10.0.0.0/8)',
    }),
  /** Milliseconds one webhook request may take (connect, send, first 2 KB of the response). */
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number({ message: 'must be a number of milliseconds (100–60000)' })
    .int()
    .min(100)
    .max(60_000)
    .default(10_000),
  /** An endpoint failing without a success for this many days is disabled (the periodic job's default). */
  WEBHOOK_DISABLE_AFTER_DAYS: positive('a number of days', 5),
  /** An automation run whose chain of causes already passed through its rule this many times is stopped (loop protection). */
  AUTOMATION_LOOP_LIMIT: positive('a number of runs', 3),
  /** Third-party plugins, comma-separated: npm package names, or paths (absolute or starting with `.`, from the working directory). */
  PLUGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
});

/** A host name, an IP address, or a CIDR (`10.0.0.0/8`, `fd00::/8`). */
function isAllowedHostEntry(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length || !address) return false;
  if (bits !== undefined) {
    const family = isIP(address);
    return family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  }
  return (
    isIP(address) !== 0 || /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(address)
  );
}

/** One key of `ENCRYPTION_KEY`: its id (named in every value it encrypts) and its 32 bytes. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** The key used when `ENCRYPTION_KEY` is unset outside production: public, so it protects nothing (development only). */
export const DEVELOPMENT_ENCRYPTION_KEY: EncryptionKey = {
  id: 'dev',
  key: createHash('sha256').update('crm-kernel development-only encryption key: never protects real data').digest(),
};

const GENERATE = `node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `ENCRYPTION_KEY` — `k2:<base64>,k1:<base64>`, newest first; the entry `dev` (not first) lets the development
 * key decrypt what a setup without a key wrote, until `npm run rotate-keys` re-encrypts it. Errors never echo key bytes.
 */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!entries.length) throw new Error(`must list at least one key, as id:base64 (generate one with ${GENERATE})`);
  const keys: EncryptionKey[] = [];
  entries.forEach((entry, i) => {
    const at = entries.length > 1 ? `entry ${i + 1}: ` : '';
    if (entry === DEVELOPMENT_ENCRYPTION_KEY.id) {
      if (i === 0) throw new Error(`${at}the development key cannot be the newest key (it only decrypts what a setup without a key wrote)`);
      keys.push(DEVELOPMENT_ENCRYPTION_KEY);
      return;
    }
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`${at}must be id:base64 (e.g. k1:<32 random bytes in base64>; generate one with ${GENERATE})`);
    const id = entry.slice(0, colon);
    const material = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) throw new Error(`${at}the key id must be 1–32 letters, digits, _ or - (before the colon)`);
    if (id === DEVELOPMENT_ENCRYPTION_KEY.id) throw new Error(`${at}the key id "dev" is reserved for the development key`);
    if (keys.some((k) => k.id === id)) throw new Error(`${at}the key id "${id}" is listed twice`);
    const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(material) ? Buffer.from(material, 'base64') : null;
    if (bytes?.length !== 32) throw new Error(`${at}key "${id}" must be 32 bytes in base64 (44 characters; generate one with ${GENERATE})`);
    keys.push({ id, key: bytes });
  });
  return keys;
}

export type AppConfig = Omit<z.infer<typeof schema>, 'SEED_DEMO' | 'API_PUBLIC_URL'> & { SEED_DEMO: boolean; API_PUBLIC_URL: string };

export class ConfigError extends Error {}

/** Reads and validates configuration from the environment; one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const result = schema.safeParse(env);
  const lines = result.success ? [] : result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET)
    lines.push('  JWT_SECRET: is required in production (at least 32 random characters)');
  if (env.NODE_ENV === 'production' && !env.ENCRYPTION_KEY?.trim())
    lines.push(`  ENCRYPTION_KEY: is required in production (id:base64 of 32 random bytes, e.g. k1:…; generate one with ${GENERATE})`);
  else if (env.NODE_ENV === 'production' && result.success && result.data.ENCRYPTION_KEY?.split(',').some((e) => e.trim() === 'dev'))
    lines.push('  ENCRYPTION_KEY: production may not list the development key "dev" (re-encrypt with npm run rotate-keys first)');
  if (!result.success || lines.length) {
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return {
    ...result.data,
    SEED_DEMO: result.data.SEED_DEMO ?? result.data.NODE_ENV !== 'production',
    API_PUBLIC_URL: result.data.API_PUBLIC_URL ?? `http://localhost:${result.data.PORT}`,
  };
}
