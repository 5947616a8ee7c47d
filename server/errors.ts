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

/** What keeps storage from taking writes: the disk is full, the database is read-only, or the disk fails. */
export type StorageTrouble = 'full' | 'read_only' | 'io';

/** The database cannot store anything now (nothing of this request was written); it may recover by itself. */
export class StoreUnavailable extends Error {
  constructor(
    readonly trouble: StorageTrouble,
    options?: { cause?: unknown },
  ) {
    super(
      trouble === 'full'
        ? 'the disk of the database is full'
        : trouble === 'read_only'
          ? 'the database cannot be written (read-only)'
          : 'the disk of the database fails',
      options,
    );
    this.name = 'StoreUnavailable';
  }
}

/**
 * The storage trouble behind a driver's or the file system's error, or null: SQLite's result codes
 * (SQLITE_FULL, SQLITE_READONLY…, SQLITE_IOERR…, SQLITE_CANTOPEN, SQLITE_PERM), PostgreSQL's
 * SQLSTATEs (53100 disk full, 25006 read-only transaction, 58030 I/O error) and Node's (ENOSPC,
 * EROFS, EACCES, EPERM).
 */
export function storageTrouble(err: unknown): StorageTrouble | null {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (code === 'SQLITE_FULL' || code === '53100' || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH' ||
    code === '25006' ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM'
  )
    return 'read_only';
  if (code.startsWith('SQLITE_IOERR') || code === '58030' || code === 'EIO') return 'io';
  return null;
}

/**
 * Whether the store's writes are failing for lack of storage: set by a write that failed so, cleared
 * by one that committed. A probe (the health check's small write, the mail logger's) clears it only
 * once no write has failed for {@link StorageWatch.QUIET_MS}: on a full disk a small write can still
 * land in space a failed big one had taken, while the next booking fails again — and when space
 * returns and nobody books, the probes alone bring the server back after that quiet time.
 */
export class StorageWatch {
  static readonly QUIET_MS = 30_000;
  private trouble: StorageTrouble | null = null;
  private at = 0;

  get current(): StorageTrouble | null {
    return this.trouble;
  }

  /** A write failed at `now` (monotonic milliseconds). */
  failed(err: unknown, now: number): void {
    if (!(err instanceof StoreUnavailable)) return;
    this.trouble = err.trouble;
    this.at = now;
  }

  /** A write committed at `now`. */
  committed(probe: boolean, now: number): void {
    if (!probe || now - this.at >= StorageWatch.QUIET_MS) this.trouble = null;
  }

  /** Runs a write and notes how it went (monotonic time). */
  async watch<T>(probe: boolean, write: () => Promise<T>): Promise<T> {
    try {
      const result = await write();
      this.committed(probe, performance.now());
      return result;
    } catch (err) {
      this.failed(err, performance.now());
      throw err;
    }
  }
}
