/** The back office's connection to /api/v1/admin: the typed client, the CSRF token, and problem answers. */
import { signal } from '@preact/signals';
import { hc } from 'hono/client';
import type { AppType } from '../server/app.ts';

export const csrf = signal('');
export const api = hc<AppType>(location.origin, {
  headers: (): Record<string, string> => (csrf.value ? { 'x-csrf-token': csrf.value } : {}),
}).api.v1.admin;

/** What the server said was wrong, shown at the top of the page (role="alert"). */
export const error = signal('');
/** What was done, announced politely (role="status"). */
export const status = signal('');

export interface Problem {
  status: number;
  code?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** The answer's JSON, or the server's problem `detail` shown and the problem thrown. */
export async function ok<T>(res: Response): Promise<T> {
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const problem = { status: res.status, ...(body as object | null) } as Problem;
    error.value = problem.detail ?? `${res.status}`;
    throw problem;
  }
  error.value = '';
  return body as T;
}

/** The practice's time zone: times are shown as its wall clock, wherever the browser is. */
export const practiceZone = signal('Europe/Berlin');

/** An instant as the practice's wall clock. */
export const wallClock = (iso: string, locale: string, options: Intl.DateTimeFormatOptions = {}) =>
  new Date(iso).toLocaleString(locale, { ...options, timeZone: practiceZone.value });
