-- Rebuilt by drizzle-kit (SQLite cannot change a column's NOT NULL or a CHECK in place); the copy
-- names only the columns the old table had (drizzle-kit listed the new ones too). The migrator runs
-- it with foreign keys off and checks every reference before it commits (db/sqlite/store.ts).
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_appointments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`client_id` integer,
	`therapist_id` integer NOT NULL,
	`room_id` integer,
	`chain_id` integer,
	`series_id` text,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`buffer_after_minutes` integer DEFAULT 0 NOT NULL,
	`blocked_until` integer NOT NULL,
	`status` text DEFAULT 'booked' NOT NULL,
	`source` text NOT NULL,
	`note` text,
	`cancelled_at` integer,
	`sequence` integer DEFAULT 0 NOT NULL,
	`hold_expires_at` integer,
	`hold_owner` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`client_id`) REFERENCES `clients`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`therapist_id`) REFERENCES `therapists`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`practice_id`,`room_id`) REFERENCES `rooms`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`practice_id`,`chain_id`) REFERENCES `chains`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "appointments_span" CHECK("__new_appointments"."starts_at" < "__new_appointments"."ends_at" AND "__new_appointments"."ends_at" - "__new_appointments"."starts_at" <= 86400000),
	CONSTRAINT "appointments_blocked_until" CHECK("__new_appointments"."blocked_until" = "__new_appointments"."ends_at" + "__new_appointments"."buffer_after_minutes" * 60000 AND "__new_appointments"."buffer_after_minutes" BETWEEN 0 AND 480),
	CONSTRAINT "appointments_status" CHECK("__new_appointments"."status" IN ('booked','done','no_show','cancelled','held')),
	CONSTRAINT "appointments_hold" CHECK(("__new_appointments"."status" = 'held') = ("__new_appointments"."hold_expires_at" IS NOT NULL) AND ("__new_appointments"."status" = 'held') = ("__new_appointments"."client_id" IS NULL)),
	CONSTRAINT "appointments_source" CHECK("__new_appointments"."source" IN ('staff','online','import')),
	CONSTRAINT "appointments_cancelled_at" CHECK(("__new_appointments"."status" = 'cancelled') = ("__new_appointments"."cancelled_at" IS NOT NULL))
);
--> statement-breakpoint
INSERT INTO `__new_appointments`("id", "practice_id", "client_id", "therapist_id", "room_id", "chain_id", "series_id", "starts_at", "ends_at", "buffer_after_minutes", "blocked_until", "status", "source", "note", "cancelled_at", "sequence", "created_at") SELECT "id", "practice_id", "client_id", "therapist_id", "room_id", "chain_id", "series_id", "starts_at", "ends_at", "buffer_after_minutes", "blocked_until", "status", "source", "note", "cancelled_at", "sequence", "created_at" FROM `appointments`;--> statement-breakpoint
DROP TABLE `appointments`;--> statement-breakpoint
ALTER TABLE `__new_appointments` RENAME TO `appointments`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `appointments_therapist_time` ON `appointments` (`therapist_id`,`starts_at`,`blocked_until`,`status`,`room_id`,`hold_expires_at`);--> statement-breakpoint
CREATE INDEX `appointments_room_time` ON `appointments` (`room_id`,`starts_at`,`blocked_until`,`status`,`therapist_id`,`hold_expires_at`);--> statement-breakpoint
CREATE INDEX `appointments_practice_time` ON `appointments` (`practice_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `appointments_client` ON `appointments` (`client_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `appointments_holds` ON `appointments` (`hold_expires_at`) WHERE "appointments"."status" = 'held';--> statement-breakpoint
CREATE UNIQUE INDEX `appointments_practice_id` ON `appointments` (`practice_id`,`id`);