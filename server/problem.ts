/**
 * Errors as RFC 9457 problem details. Routes throw `ApiError` (or let zod fail); `app.onError`
 * turns every error into `application/problem+json` with a stable `code` in one place.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { StoreBusy, StoreConflict, StoreUnavailable } from './errors.ts';
import { describeError, logError } from './log.ts';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  [extension: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const body: ProblemBody = {
    type: `https://terminkette.example/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...extra,
  };
  return c.body(JSON.stringify(body), status, { 'content-type': 'application/problem+json', ...headers });
}

/** The one place where errors become responses. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return problem(c, err.status, err.code, err.message, err.extra);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status === 400 && /json/i.test(err.message)
            ? 'malformed_json'
            : status === 400
              ? 'bad_request'
              : `http_${status}`;
    return problem(c, status, code, err.message || TITLES[status] || 'Error');
  }
  if (err instanceof StoreBusy || err instanceof StoreConflict) {
    // The database gave this request no turn in time, or concurrent writers kept winning: nothing
    // was written, and trying again soon will do.
    return problem(
      c,
      503,
      'busy',
      'The server is busy. Please try again in a moment.',
      {},
      { 'retry-after': '1' },
    );
  }
  if (err instanceof StoreUnavailable) {
    reportStorage(err);
    return problem(
      c,
      503,
      'storage_unavailable',
      'The server cannot store anything at the moment. Nothing was changed; please try again later.',
      {},
      { 'retry-after': '60' },
    );
  }
  logError(`${c.req.method} ${c.req.path}`, err);
  return problem(c, 500, 'internal_error', 'Something went wrong on our side. Nothing was changed.');
}

/** When storage trouble was last logged, and how many failures since went unlogged. */
const storageLog = { at: Number.NEGATIVE_INFINITY, quiet: 0 };
/** A burst of storage failures is logged once: again only after a minute without any. */
const STORAGE_BURST_MS = 60_000;

/**
 * Logs storage trouble once per burst of failures (a full disk fails every request until it is
 * freed: one line, not one per request), with how many failed unlogged since the last line.
 */
export function reportStorage(err: unknown, now = performance.now()): void {
  const quietSince = now - storageLog.at;
  storageLog.at = now;
  if (quietSince < STORAGE_BURST_MS) {
    storageLog.quiet++;
    return;
  }
  const what = err instanceof StoreUnavailable ? err.message : describeError(err);
  console.error(
    `storage unavailable: ${what}; writes answer 503 until it recovers (logged again after a minute without failures${storageLog.quiet ? `; ${storageLog.quiet} failures since the last line` : ''})`,
  );
  storageLog.quiet = 0;
}
