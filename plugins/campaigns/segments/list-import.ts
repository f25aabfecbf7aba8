import { parse } from 'csv-parse/sync';
import { contactIdsByEmail, InputRejected, parseInput, z, type RequestContext } from '../../../src/sdk/index.js';
import { MemberSource, type CampaignSegment } from './entities.js';
import { changeMembers } from './membership.js';
import { staticListOrReject } from './segment.service.js';

export const MAX_CSV_BYTES = 5 * 1024 * 1024;
export const MAX_CSV_ROWS = 100_000;
const UNKNOWN_SHOWN = 100;

const inputSchema = z.object({
  segmentId: z.string(),
  csv: z.string().min(1, { message: 'the file is empty' }),
  emailColumn: z.string().trim().min(1).max(200).nullish(),
});
const address = z.email();

export interface ListImportResult {
  segment: CampaignSegment;
  rows: number;
  added: number;
  alreadyMembers: number;
  unknown: number;
  unknownEmails: string[];
  invalid: number;
}

/**
 * Adds the contacts a CSV names by email to a static list. The whole file is checked before anything is written: a
 * file that cannot be parsed, is too large or lacks the email column is refused; rows without a valid address or whose
 * address no contact (that the caller may read) holds are counted and reported, not errors. An erased person's
 * address matches no contact: the kernel never lets a contact take it back.
 */
export async function importListCsv(ctx: RequestContext, input: unknown): Promise<ListImportResult> {
  const data = parseInput(inputSchema, input);
  if (Buffer.byteLength(data.csv) > MAX_CSV_BYTES) throw InputRejected.one('csv', `must be at most ${MAX_CSV_BYTES / 1024 / 1024} MB`);
  const segment = await staticListOrReject(ctx, data.segmentId);
  let records: string[][];
  try {
    records = parse(data.csv, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, to_line: MAX_CSV_ROWS + 2 });
  } catch (error) {
    throw InputRejected.one('csv', `is not valid CSV: ${String((error as Error).message).slice(0, 200)}`);
  }
  const [header, ...rows] = records;
  if (!header) throw InputRejected.one('csv', 'the file is empty');
  if (rows.length > MAX_CSV_ROWS) throw InputRejected.one('csv', `at most ${MAX_CSV_ROWS} rows`);
  const wanted = (data.emailColumn ?? 'email').toLowerCase();
  const column = header.findIndex((h) => h.trim().toLowerCase() === wanted);
  if (column < 0)
    throw InputRejected.one(data.emailColumn ? 'emailColumn' : 'csv', `the header row has no "${data.emailColumn ?? 'email'}" column`);

  let invalid = 0;
  const emails: string[] = [];
  for (const row of rows) {
    const value = (row[column] ?? '').trim().toLowerCase();
    if (value.length > 320 || !address.safeParse(value).success) invalid++;
    else emails.push(value);
  }
  const found = await contactIdsByEmail(ctx, emails);
  const unknownEmails = emails.filter((e) => !found.has(e));
  const contactIds = emails.flatMap((e) => (found.has(e) ? [found.get(e)!] : []));
  const { added } = await changeMembers(ctx.em, segment, { add: contactIds, source: MemberSource.IMPORT });
  await ctx.em.refresh(segment);
  return {
    segment,
    rows: rows.length,
    added: added.length,
    alreadyMembers: contactIds.length - added.length,
    unknown: unknownEmails.length,
    unknownEmails: [...new Set(unknownEmails)].slice(0, UNKNOWN_SHOWN),
    invalid,
  };
}
