/**
 * Where a problem is, as people read it: `clients[0].packages[1].key` from a validation issue's
 * path. The server names every problem of a request or document this way, and a form in the
 * browser finds the field by the same name.
 */

/** @example formatPath(['clients', 0, 'packages', 1, 'key']) === 'clients[0].packages[1].key' */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(document)';
}
