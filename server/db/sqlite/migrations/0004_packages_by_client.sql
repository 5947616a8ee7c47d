DROP INDEX `packages_client_template`;--> statement-breakpoint
CREATE INDEX `packages_practice_client` ON `packages` (`practice_id`,`client_id`,`id`);