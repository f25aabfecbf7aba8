import { createHash } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected, userError } from '../../graphql/errors.js';

/**
 * The hashed suppression list: an address erased at its owner's request is kept only as
 * sha256(`<workspace id>:<lower-cased, trimmed address>`), so imports, contact writes and plugins (campaigns) can refuse
 * it without the database holding it. A hash is not encryption: whoever holds the database can test a guessed address
 * — which is exactly what the list is for — but cannot list the addresses.
 */
export function emailHash(workspaceId: string, email: string): string {
  return createHash('sha256').update(`${workspaceId}:${email.trim().toLowerCase()}`).digest('hex');
}

/** A query runner: an entity manager's `execute`, or the import's batch connection. */
type Query = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** Which of `emails` (any case and padding) are suppressed in the workspace, as given. */
export async function suppressedAmong(query: Query, workspaceId: string, emails: readonly string[]): Promise<Set<string>> {
  const wanted = [...new Set(emails.filter((e) => typeof e === 'string' && e.trim()))];
  if (!wanted.length) return new Set();
  const byHash = new Map(wanted.map((e) => [emailHash(workspaceId, e), e]));
  const rows = await query(
    `select email_hash from email_suppression where workspace_id = ? and email_hash in (select jsonb_array_elements_text(cast(? as jsonb)))`,
    [workspaceId, JSON.stringify([...byHash.keys()])],
  );
  return new Set(rows.map((r) => byHash.get(String(r.email_hash))!));
}

const onEm =
  (em: SqlEntityManager): Query =>
  (text, params) =>
    em.execute(text, params);

/** Whether an email address was erased and may not come back in the caller's workspace (plugins: campaigns, tickets). */
export async function isEmailSuppressed(ctx: Pick<RequestContext, 'em' | 'principal'>, email: string): Promise<boolean> {
  return (await suppressedAmong(onEm(ctx.em), workspaceOf(ctx as RequestContext), [email])).size > 0;
}

/**
 * Which of `emails` were erased and may not come back in the caller's workspace, in one statement (a campaign's batch
 * of recipients): the addresses as given.
 */
export async function suppressedEmails(ctx: Pick<RequestContext, 'em' | 'principal'>, emails: readonly string[]): Promise<Set<string>> {
  return suppressedAmong(onEm(ctx.em), workspaceOf(ctx as RequestContext), emails);
}

export const SUPPRESSED_MESSAGE = 'this address was erased at its owner’s request and is suppressed';

/** Refuses (CONFLICT, nothing written) a contact write that would bring back a suppressed address. */
export async function rejectSuppressedEmails(
  em: SqlEntityManager,
  workspaceId: string,
  emails: readonly { email: string }[] | undefined,
  field = 'emails',
): Promise<void> {
  if (!emails?.length) return;
  const suppressed = await suppressedAmong(
    onEm(em),
    workspaceId,
    emails.map((e) => e.email),
  );
  if (!suppressed.size) return;
  throw new InputRejected(
    emails.flatMap((e, i) => (suppressed.has(e.email) ? [userError(`${field}.${i}.email`, SUPPRESSED_MESSAGE, ErrorCode.CONFLICT)] : [])),
  );
}

/** Adds addresses to the list (an erasure); already listed ones stay as they are. */
export async function suppressEmails(em: SqlEntityManager, workspaceId: string, emails: readonly string[]): Promise<number> {
  const hashes = [...new Set(emails.filter((e) => e.trim()).map((e) => emailHash(workspaceId, e)))];
  if (!hashes.length) return 0;
  await em.execute(
    `insert into email_suppression (workspace_id, email_hash, created_at) select ?, h, now() from jsonb_array_elements_text(cast(? as jsonb)) as h on conflict do nothing`,
    [workspaceId, JSON.stringify(hashes)],
  );
  return hashes.length;
}
