/**
 * A domain event type with its payload type: `defineEvent<DealWon>('deal.won')`. The producer emits through it
 * (`emitEvent(em, dealWon, payload)`) and the consumer subscribes with it (`on: [dealWon]`), so both share one
 * payload type.
 */
export interface EventType<Payload extends object = Record<string, unknown>> {
  readonly type: string;
  /** Carries the payload type only (never set). */
  readonly payload?: Payload;
}

export function defineEvent<Payload extends object>(type: string): EventType<Payload> {
  return Object.freeze({ type });
}

/** The type names of `events` as the manifest lists them. */
export const eventTypeName = (event: EventType<object> | string): string => (typeof event === 'string' ? event : event.type);
