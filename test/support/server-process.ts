import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { recreateDatabase } from '../../src/sdk/testing.js';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { loadConfig } from '../../src/config.js';
import type { Orm } from '../../src/db/orm.js';
import { Workspace } from '../../src/core/workspaces/workspace.entity.js';
import { User } from '../../src/core/identity/user.entity.js';
import { Membership, MembershipRole } from '../../src/core/identity/membership.entity.js';
import { issueSession } from '../../src/core/auth/auth.module.js';

/**
 * Real server processes for tests that need more than one process on a database (PostgreSQL only): the built
 * server (`node dist/src/server.js`, built once with tsc), each in its own process, on a database of its own.
 */
export const projectRoot = join(import.meta.dirname, '..', '..');

/** Recreates `<base database>_<suffix>` beside `url` and returns its URL. */
export async function freshDatabase(url: string, suffix: string): Promise<string> {
  return (await recreateDatabase(url, `${new URL(url).pathname.slice(1)}_${suffix}`)).url;
}

/** The built server must exist: test/support/global-setup.mjs builds it once per run on PostgreSQL. */
export function expectBuiltServer(): void {
  if (!existsSync(join(projectRoot, 'dist', 'src', 'server.js')))
    throw new Error('dist/src/server.js is missing: the global setup builds it when TEST_DATABASE_URL is set');
}

export const randomPort = () => 41000 + Math.floor(Math.random() * 8000);

/** Starts `node dist/src/server.js` on `port` against `databaseUrl`; resolves once /healthz answers. */
export async function startServerProcess(databaseUrl: string, port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [join(projectRoot, 'dist', 'src', 'server.js')], {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      TEST_DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const until = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}): ${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return proc;
    if (Date.now() > until) throw new Error(`server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function killProcess(proc: ChildProcess | null, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
}

/** A workspace with one ADMIN member, written as the database owner, and that member's access token. */
export async function seedAdminWorkspace(orm: Orm, slug: string): Promise<{ workspaceId: string; userId: string; accessToken: string }> {
  const em = orm.em.fork();
  const workspace = em.create(Workspace, { name: slug, slug });
  const user = em.create(User, { email: `admin@${slug}.test`, name: 'Ada' });
  em.create(Membership, { workspaceId: workspace.id, userId: user.id, role: MembershipRole.ADMIN });
  await em.flush();
  const tokens = await issueSession(
    orm.em.fork() as SqlEntityManager,
    { workspaceId: workspace.id, userId: user.id },
    loadConfig({ NODE_ENV: 'test' }),
  );
  return { workspaceId: workspace.id, userId: user.id, accessToken: tokens.accessToken };
}

/** POSTs a GraphQL operation to a server process. */
export async function postGraphql<T = any>(
  port: number,
  accessToken: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T };
}
