PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_package_ledger` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`package_id` integer NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`appointment_id` integer,
	`details` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`package_id`) REFERENCES `packages`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "package_ledger_action" CHECK("__new_package_ledger"."action" IN ('created','limits_changed','closed','reopened','assigned','released','updated','excluded','withdrawn'))
);
--> statement-breakpoint
INSERT INTO `__new_package_ledger`("id", "practice_id", "package_id", "at", "actor", "action", "appointment_id", "details") SELECT "id", "practice_id", "package_id", "at", "actor", "action", "appointment_id", "details" FROM `package_ledger`;--> statement-breakpoint
DROP TABLE `package_ledger`;--> statement-breakpoint
ALTER TABLE `__new_package_ledger` RENAME TO `package_ledger`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `package_ledger_package` ON `package_ledger` (`package_id`,`at`);--> statement-breakpoint
-- A column, not a rebuilt table: the config_version triggers on chain_package_rules (0002) stay.
ALTER TABLE `chain_package_rules` ADD `create_when_exhausted` integer DEFAULT false NOT NULL CONSTRAINT "chain_package_rules_create_exhausted_needs_exhausted" CHECK(NOT "create_when_exhausted" OR "when_exhausted");
