/**
 * The few places where SQLite's and PostgreSQL's SQL differ, as small helpers the queries use, so
 * every query is written once. Everything else — `?` parameters, `INSERT … ON CONFLICT`, `RETURNING`,
 * `TRUE`/`FALSE`, `lower()`, `UNION ALL` — both speak alike.
 */
import type { Tx } from './store.ts';

/**
 * `column` is one of a list given as one parameter (bind `list(tx, values)`): one statement for
 * any length, and both databases use the column's index.
 * @example tx.all(`SELECT … WHERE ${inList(tx, 'therapist_id')}`, [list(tx, [1, 2])])
 */
export function inList(tx: Tx, column: string): string {
  return tx.dialect === 'postgres' ? `${column} = ANY(?)` : `${column} IN (SELECT value FROM json_each(?))`;
}

/**
 * `column IN (…)` over `values`, with its parameters: SQLite gets one placeholder per value (a
 * statement per list length; cheaper than `json_each` in the hot reads), PostgreSQL `= ANY(?)`.
 */
export function inValues(
  tx: Tx,
  column: string,
  values: readonly (number | string)[],
): [sql: string, params: unknown[]] {
  return tx.dialect === 'postgres'
    ? [`${column} = ANY(?)`, [pgArray(values)]]
    : [`${column} IN (${values.map(() => '?').join(', ')})`, [...values]];
}

/**
 * A list as PostgreSQL's array parameter: whole numbers as the array's text ("{1,2,3}", one join),
 * which the driver would otherwise build element by element, escaping each (a slot search for 20
 * therapists sends one per request); anything else as the array itself, for the driver to escape.
 */
function pgArray(values: readonly (number | string)[]): unknown {
  for (const v of values) if (!Number.isSafeInteger(v)) return values;
  return `{${values.join(',')}}`;
}

/** The parameter for `inList`: an array for PostgreSQL, a JSON array for SQLite. */
export function list(tx: Tx, values: readonly (number | string)[]): unknown {
  return tx.dialect === 'postgres' ? pgArray(values) : JSON.stringify(values);
}

/** A JSON column as read: PostgreSQL's jsonb arrives parsed, SQLite's text does not. */
export function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A boolean column as read: PostgreSQL gives true/false, SQLite 1/0. */
export function bool(value: unknown): boolean {
  return value === true || value === 1;
}

/** ` FOR UPDATE` on PostgreSQL (lock the rows read until commit); SQLite's writer holds the whole file. */
export function forUpdate(tx: Tx): string {
  return tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
}

/** `column` lower-cased for a search, Unicode and all (SQLite's own lower() folds ASCII only). */
export function fold(tx: Tx, column: string): string {
  return tx.dialect === 'sqlite' ? `tk_fold(${column})` : `lower(${column})`;
}

/** A column that the planner should not use an index for (SQLite's unary `+`). */
export function noIndex(tx: Tx, column: string): string {
  return tx.dialect === 'sqlite' ? `+${column}` : column;
}

/**
 * ` INDEXED BY index` on SQLite (its planner otherwise prefers a wider index whose first column
 * matches, over a partial index that holds exactly the rows asked for); PostgreSQL's planner
 * weighs the partial index by its statistics.
 */
export function indexedBy(tx: Tx, index: string): string {
  return tx.dialect === 'sqlite' ? ` INDEXED BY ${index}` : '';
}
