/**
 * The retry schedule of webhook deliveries: after the n-th failed attempt the next one comes `RETRY_SCHEDULE_MS[n−1]`
 * later — 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h: eight attempts over about 41.6 hours, then the delivery is dead.
 * A `Retry-After` of the response (seconds or an HTTP date) wins when it asks for longer, capped at 24 h.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const RETRY_SCHEDULE_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 24 * HOUR];

/** Attempts a delivery gets before it is dead: the first one and one per step of the schedule. */
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;

/** The longest wait a `Retry-After` can impose. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/** Milliseconds a `Retry-After` header value asks to wait from `now` (null when absent or unreadable). */
export function retryAfterMs(header: string | null | undefined, now: Date): number | null {
  if (header == null) return null;
  const value = header.trim();
  if (/^\d{1,10}$/.test(value)) return Number(value) * SECOND;
  if (value.length > 64 || !/^[A-Za-z]{3},/.test(value)) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/**
 * When to try again after attempt number `attempt` (1 = the first) failed at `now`: the schedule's step, or the
 * response's `Retry-After` when longer (capped at 24 h). Null when the schedule is exhausted (the delivery is dead).
 */
export function nextAttemptAt(attempt: number, now: Date, retryAfterHeader?: string | null): Date | null {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`nextAttemptAt: attempt must be 1 or more, not ${attempt}`);
  const step = RETRY_SCHEDULE_MS[attempt - 1];
  if (step === undefined) return null;
  const asked = retryAfterMs(retryAfterHeader, now);
  return new Date(now.getTime() + Math.max(step, Math.min(asked ?? 0, MAX_RETRY_AFTER_MS)));
}
