-- Written by hand (drizzle-kit rebuilt the table to add the checks: on SQLite that drops and
-- re-creates practices, which inside the migrator's transaction would cascade to every row of every
-- practice). ALTER TABLE … ADD COLUMN takes a column's CHECK as well.
ALTER TABLE `practices` ADD `hold_minutes` integer DEFAULT 10 NOT NULL CONSTRAINT "practices_hold" CHECK(`hold_minutes` BETWEEN 1 AND 60);--> statement-breakpoint
ALTER TABLE `practices` ADD `max_open_online_bookings` integer DEFAULT 3 NOT NULL CONSTRAINT "practices_open_bookings" CHECK(`max_open_online_bookings` BETWEEN 1 AND 100);--> statement-breakpoint
ALTER TABLE `practices` ADD `mail_names_service` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `practices` ADD `online_limits` text DEFAULT '{}' NOT NULL;
