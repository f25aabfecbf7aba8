import type { Campaign } from '../campaigns/entities.js';

/** What a recipient's message links to: the signed unsubscribe page (null until public routes exist). */
export interface RecipientLinks {
  unsubscribeUrl: string | null;
}

export async function recipientLinks(_campaign: Campaign, _sendId: string): Promise<RecipientLinks> {
  return { unsubscribeUrl: null };
}
