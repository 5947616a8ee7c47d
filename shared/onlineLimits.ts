/** The online limits of a practice and their defaults: the server enforces them, the back office shows them. */

/** At most `count` in any `minutes` (a window that starts with the first). */
export interface RateWindow {
  count: number;
  minutes: number;
}

/**
 * What one client address may do online at one practice (and a few per e-mail address and for
 * the practice as a whole): enough for a family booking together from one home, too little to
 * fill a calendar or to try codes. A practice's limits never count another practice's visitors.
 */
export interface OnlineLimits {
  /** One-time code e-mails asked for, per client address. */
  codeRequestsPerAddress: RateWindow;
  /** One-time code e-mails asked for, per e-mail address (so nobody floods one inbox). */
  codeRequestsPerEmail: RateWindow;
  /** Codes tried, right or wrong, per client address. */
  verifyPerAddress: RateWindow;
  /** Wrong codes per e-mail address in a day; then that address cannot sign in until the next day. */
  verifyFailuresPerEmailPerDay: number;
  /** Holds per client address. */
  holdsPerAddress: RateWindow;
  /** Holds of all addresses together, so many addresses cannot hold the calendar either. */
  holdsPerPractice: RateWindow;
  /** Bookings per client address. */
  bookingsPerAddress: RateWindow;
}

export const DEFAULT_ONLINE_LIMITS: OnlineLimits = {
  codeRequestsPerAddress: { count: 10, minutes: 15 },
  codeRequestsPerEmail: { count: 5, minutes: 15 },
  verifyPerAddress: { count: 30, minutes: 15 },
  verifyFailuresPerEmailPerDay: 10,
  holdsPerAddress: { count: 10, minutes: 60 },
  holdsPerPractice: { count: 500, minutes: 60 },
  bookingsPerAddress: { count: 10, minutes: 60 },
};
