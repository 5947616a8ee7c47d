DROP INDEX `appointments_therapist_time`;--> statement-breakpoint
DROP INDEX `appointments_room_time`;--> statement-breakpoint
ALTER TABLE `appointments` ADD `busy_text` text GENERATED ALWAYS AS ("therapist_id" || ',' || coalesce("room_id", 'null') || ',' || ("starts_at" / 60000) || ',' || (("blocked_until" + 59999) / 60000)) VIRTUAL NOT NULL;--> statement-breakpoint
CREATE INDEX `appointments_therapist_time` ON `appointments` (`therapist_id`,`starts_at`,`blocked_until`,`status`,`room_id`,`hold_expires_at`,`busy_text`);--> statement-breakpoint
CREATE INDEX `appointments_room_time` ON `appointments` (`room_id`,`starts_at`,`blocked_until`,`status`,`therapist_id`,`hold_expires_at`,`busy_text`);