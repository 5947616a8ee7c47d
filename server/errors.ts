/**
 * Errors the store raises for what the layers above must tell apart, free of any driver: a
 * transaction that lost to a concurrent one, a database too busy to answer, storage that cannot
 * take writes. `problem.ts` turns them into answers without knowing which database is behind.
 */

/** A write broke a unique or exclusion constraint: a concurrent transaction got there first. */
export class StoreConflict extends Error {
  constructor(
    readonly constraint: string,
    options?: { cause?: unknown },
  ) {
    super(`constraint ${constraint} refused the write`, options);
    this.name = 'StoreConflict';
  }
}

/** The database did not give this request its turn in time (locks held elsewhere); nothing was written. */
export class StoreBusy extends Error {
  constructor(message = 'the database is busy', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreBusy';
  }
}
