-- Rebuilt by drizzle-kit (SQLite cannot add a CHECK in place); the copy names only the columns the
-- old table had (drizzle-kit listed the new one too). A counter with `max_points` is kept within
-- it by the database: a point over the limit fails its statement (db/queries/rateLimits.ts).
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`points` integer DEFAULT 0 NOT NULL,
	`expire` integer,
	`max_points` integer,
	CONSTRAINT "rate_limits_within" CHECK("__new_rate_limits"."max_points" IS NULL OR "__new_rate_limits"."points" <= "__new_rate_limits"."max_points")
);
--> statement-breakpoint
INSERT INTO `__new_rate_limits`("key", "points", "expire") SELECT "key", "points", "expire" FROM `rate_limits`;--> statement-breakpoint
DROP TABLE `rate_limits`;--> statement-breakpoint
ALTER TABLE `__new_rate_limits` RENAME TO `rate_limits`;--> statement-breakpoint
PRAGMA foreign_keys=ON;