/** Brute-force throttling of sign-in. STUB: the hardening helper implements it (rate-limiter-flexible). */

/** Throws a RATE_LIMITED GraphQL error (with extensions.retryAfterSeconds) when this IP or email tried too often. */
export async function assertLoginAllowed(_ip: string, _email: string): Promise<void> {}

/** Counts a failed attempt against the IP and the email. */
export async function noteLoginFailure(_ip: string, _email: string): Promise<void> {}

/** Clears the email's failure count after a successful sign-in. */
export async function noteLoginSuccess(_ip: string, _email: string): Promise<void> {}
