/**
 * What the server writes to its log: never personal data. A health practice's log must not hold
 * its clients' e-mail addresses (an SMTP server's "550 <lena@…>", a database's "Key (email)=(…)"),
 * so every error text passes through {@link redact} on its way out.
 */

/** Every e-mail address in `text` replaced by `[e-mail]`. */
export function redact(text: string): string {
  return text.replace(/[^\s<>()"',;:=]+@[^\s<>()"',;:=]+/g, '[e-mail]');
}

/** An error as one redacted text: its message (and, for unexpected ones, its stack), at most 4 000 characters. */
export function describeError(error: unknown, withStack = false): string {
  const text =
    error instanceof Error ? (withStack && error.stack ? error.stack : error.message) : String(error);
  const clean = redact(text);
  return clean.length > 4000 ? `${clean.slice(0, 4000)}…` : clean;
}

/** Logs an unexpected error under `context`, redacted, with its stack. */
export function logError(context: string, error: unknown): void {
  console.error(`${context}: ${describeError(error, true)}`);
}
