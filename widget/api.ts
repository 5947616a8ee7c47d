/**
 * The widget's only way to the server: hono's typed client over the app's own type, so every
 * request and answer is checked against the routes at compile time. Errors are the server's
 * problem+json, thrown as `Problem` with its `code` and its `detail` (shown as it is).
 */
import { type ClientResponse, hc } from 'hono/client';
import type { SuccessStatusCode } from 'hono/utils/http-status';
import type { AppType } from '../server/app.ts';

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: string | null,
  ) {
    super(message);
  }
}

export function api(base: string, token: () => string | null) {
  return hc<AppType>(base, {
    headers: (): Record<string, string> => {
      const t = token();
      return t ? { authorization: `Bearer ${t}` } : {};
    },
  }).api.v1;
}
export type Api = ReturnType<typeof api>;

type Ok<R> =
  R extends ClientResponse<infer T, infer S, 'json'> ? (S extends SuccessStatusCode ? T : never) : never;

/** The answer's body when it succeeded; otherwise throws the server's problem. */
export async function ok<R extends ClientResponse<unknown, number, string>>(
  call: Promise<R>,
): Promise<Ok<R>> {
  let res: R;
  try {
    res = await call;
  } catch {
    throw new Problem(0, 'network', '');
  }
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.ok) return body as Ok<R>;
  const p = (body ?? {}) as { code?: string; detail?: string; title?: string };
  throw new Problem(res.status, p.code ?? 'error', p.detail ?? p.title ?? '', res.headers.get('retry-after'));
}
