/** Turns a failed zod validation at the edge into a 400 problem naming each path. */
import type { Hook } from '@hono/zod-openapi';
import { formatPath } from '../../shared/issues.ts';
import { ApiError } from '../problem.ts';

// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route, whatever its input type.
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (result.success) return;
  const errors = result.error.issues.map((issue) => ({
    path: formatPath([result.target, ...issue.path]),
    message: issue.message,
  }));
  throw new ApiError(400, 'invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
    errors,
  });
};
