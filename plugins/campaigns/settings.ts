import { z } from '../../src/sdk/index.js';

/** The campaigns plugin's per-workspace settings (`updateModuleSettings` with `id: "campaigns"`). */
export const campaignSettings = z.object({
  /** Sender identities a campaign may send as; without any, campaigns send as the server's MAIL_FROM. */
  senders: z
    .array(z.object({ name: z.string().trim().min(1).max(100), address: z.email().max(320) }))
    .max(20)
    .default([]),
  /** At most this many campaign messages per minute in the workspace. */
  throttlePerMinute: z.number().int().min(1).max(100_000).default(600),
  /**
   * Who may receive marketing email: `OPTED_IN_ONLY` — contacts whose marketing consent is GRANTED;
   * `NOT_OPTED_OUT` — everyone but those who withdrew it.
   */
  consentPolicy: z.enum(['OPTED_IN_ONLY', 'NOT_OPTED_OUT']).default('NOT_OPTED_OUT'),
  /** Open pixel and click redirects in campaign messages. */
  tracking: z.object({ opens: z.boolean().default(true), clicks: z.boolean().default(true) }).default({ opens: true, clicks: true }),
});

export type CampaignSettings = z.infer<typeof campaignSettings>;
