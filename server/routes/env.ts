/** What every route finds on its context: the app's dependencies. */
import type { AppConfig } from '../config.ts';
import type { StaffSession } from '../db/queries/staff.ts';
import type { Store } from '../db/store.ts';

export interface AppDeps {
  store: Store;
  /** The current instant; tests pass a fixed one. */
  clock: () => number;
  config: Pick<AppConfig, 'publicUrl' | 'secret'> & Partial<AppConfig>;
}

export type AppEnv = {
  Variables: {
    deps: AppDeps;
    /** Set by the answer cache on a miss of an anonymous read: where the finished answer goes. */
    answerKey?: string | null;
    /** Admin routes: the staff user's session (server/routes/admin.ts). */
    staff?: StaffSession;
  };
};
