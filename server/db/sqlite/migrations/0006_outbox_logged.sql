ALTER TABLE `outbox` ADD `logged_at` integer;--> statement-breakpoint
CREATE INDEX `outbox_unlogged` ON `outbox` (`id`) WHERE "outbox"."status" = 'pending' AND "outbox"."logged_at" IS NULL;