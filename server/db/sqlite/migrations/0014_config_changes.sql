CREATE TABLE `config_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`user_id` integer,
	`at` integer NOT NULL,
	`source` text NOT NULL,
	`changes` text NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `config_changes_practice_at` ON `config_changes` (`practice_id`,`at`);--> statement-breakpoint
-- Added in place (drizzle-kit would rebuild the table and lose its config_version triggers).
ALTER TABLE `therapists` ADD COLUMN `online_bookable` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `therapists` ADD COLUMN `color` text DEFAULT '#2f6f8f' NOT NULL CONSTRAINT "therapists_color" CHECK(length(`color`) = 7 AND `color` GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]');
