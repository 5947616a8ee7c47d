CREATE TABLE `exclusion_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`client_id` integer NOT NULL,
	`template_id` integer NOT NULL,
	`action` text NOT NULL,
	`reason` text,
	`actor` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`client_id`) REFERENCES `clients`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`template_id`) REFERENCES `package_templates`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "exclusion_events_action" CHECK("exclusion_events"."action" IN ('excluded','readmitted'))
);
--> statement-breakpoint
CREATE INDEX `exclusion_events_client` ON `exclusion_events` (`client_id`,`at`);