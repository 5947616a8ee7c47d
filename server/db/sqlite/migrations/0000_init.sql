CREATE TABLE `appointment_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`appointment_id` integer NOT NULL,
	`service_id` integer NOT NULL,
	`code` text NOT NULL,
	`quantity` integer NOT NULL,
	`unit_price_cents` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`appointment_id`) REFERENCES `appointments`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`service_id`) REFERENCES `services`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "appointment_lines_quantity" CHECK("appointment_lines"."quantity" > 0),
	CONSTRAINT "appointment_lines_price" CHECK("appointment_lines"."unit_price_cents" >= 0)
);
--> statement-breakpoint
CREATE INDEX `appointment_lines_appointment` ON `appointment_lines` (`appointment_id`);--> statement-breakpoint
CREATE TABLE `appointment_packages` (
	`practice_id` integer NOT NULL,
	`appointment_id` integer NOT NULL,
	`package_id` integer NOT NULL,
	PRIMARY KEY(`appointment_id`, `package_id`),
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`appointment_id`) REFERENCES `appointments`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`package_id`) REFERENCES `packages`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `appointment_packages_package` ON `appointment_packages` (`package_id`);--> statement-breakpoint
CREATE TABLE `appointments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`client_id` integer NOT NULL,
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
	`created_at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`client_id`) REFERENCES `clients`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`therapist_id`) REFERENCES `therapists`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`practice_id`,`room_id`) REFERENCES `rooms`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`practice_id`,`chain_id`) REFERENCES `chains`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "appointments_span" CHECK("appointments"."starts_at" < "appointments"."ends_at" AND "appointments"."ends_at" - "appointments"."starts_at" <= 86400000),
	CONSTRAINT "appointments_blocked_until" CHECK("appointments"."blocked_until" = "appointments"."ends_at" + "appointments"."buffer_after_minutes" * 60000 AND "appointments"."buffer_after_minutes" BETWEEN 0 AND 480),
	CONSTRAINT "appointments_status" CHECK("appointments"."status" IN ('booked','done','no_show','cancelled')),
	CONSTRAINT "appointments_source" CHECK("appointments"."source" IN ('staff','online','import')),
	CONSTRAINT "appointments_cancelled_at" CHECK(("appointments"."status" = 'cancelled') = ("appointments"."cancelled_at" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `appointments_therapist_time` ON `appointments` (`therapist_id`,`starts_at`,`blocked_until`,`status`,`room_id`);--> statement-breakpoint
CREATE INDEX `appointments_room_time` ON `appointments` (`room_id`,`starts_at`,`blocked_until`,`status`,`therapist_id`);--> statement-breakpoint
CREATE INDEX `appointments_practice_time` ON `appointments` (`practice_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `appointments_client` ON `appointments` (`client_id`,`starts_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `appointments_practice_id` ON `appointments` (`practice_id`,`id`);--> statement-breakpoint
CREATE TABLE `availability_exceptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`therapist_id` integer NOT NULL,
	`date` text NOT NULL,
	`kind` text NOT NULL,
	`start_minute` integer,
	`end_minute` integer,
	`note` text,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`therapist_id`) REFERENCES `therapists`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "availability_exceptions_kind" CHECK("availability_exceptions"."kind" IN ('closed','open')),
	CONSTRAINT "availability_exceptions_date" CHECK("availability_exceptions"."date" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "availability_exceptions_span" CHECK(("availability_exceptions"."start_minute" IS NULL AND "availability_exceptions"."end_minute" IS NULL AND "availability_exceptions"."kind" = 'closed') OR ("availability_exceptions"."start_minute" >= 0 AND "availability_exceptions"."end_minute" <= 1440 AND "availability_exceptions"."start_minute" < "availability_exceptions"."end_minute"))
);
--> statement-breakpoint
CREATE INDEX `availability_exceptions_therapist_date` ON `availability_exceptions` (`therapist_id`,`date`);--> statement-breakpoint
CREATE TABLE `booking_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`appointment_id` integer NOT NULL,
	`response` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`appointment_id`) REFERENCES `appointments`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "booking_requests_key_length" CHECK(length("booking_requests"."idempotency_key") BETWEEN 1 AND 200)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `booking_requests_key` ON `booking_requests` (`practice_id`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `chain_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`chain_id` integer NOT NULL,
	`service_id` integer NOT NULL,
	`quantity` integer NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`chain_id`) REFERENCES `chains`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`service_id`) REFERENCES `services`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "chain_lines_quantity" CHECK("chain_lines"."quantity" > 0 AND "chain_lines"."quantity" <= 100)
);
--> statement-breakpoint
CREATE INDEX `chain_lines_chain` ON `chain_lines` (`chain_id`);--> statement-breakpoint
CREATE TABLE `chain_package_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`chain_id` integer NOT NULL,
	`template_id` integer NOT NULL,
	`when_absent` integer DEFAULT false NOT NULL,
	`when_present` integer DEFAULT false NOT NULL,
	`when_exhausted` integer DEFAULT false NOT NULL,
	`when_excluded` integer DEFAULT false NOT NULL,
	`create_on_booking` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`chain_id`) REFERENCES `chains`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`template_id`) REFERENCES `package_templates`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "chain_package_rules_some_state" CHECK("chain_package_rules"."when_absent" OR "chain_package_rules"."when_present" OR "chain_package_rules"."when_exhausted" OR "chain_package_rules"."when_excluded"),
	CONSTRAINT "chain_package_rules_create_needs_absent" CHECK(NOT "chain_package_rules"."create_on_booking" OR "chain_package_rules"."when_absent")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chain_package_rules_chain_template` ON `chain_package_rules` (`chain_id`,`template_id`);--> statement-breakpoint
CREATE TABLE `chain_therapists` (
	`practice_id` integer NOT NULL,
	`chain_id` integer NOT NULL,
	`therapist_id` integer NOT NULL,
	PRIMARY KEY(`chain_id`, `therapist_id`),
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`chain_id`) REFERENCES `chains`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`therapist_id`) REFERENCES `therapists`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `chains` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`duration_minutes` integer,
	`buffer_after_minutes` integer DEFAULT 0 NOT NULL,
	`needs_room` integer DEFAULT false NOT NULL,
	`online_bookable` integer DEFAULT true NOT NULL,
	`min_age` integer,
	`max_age` integer,
	`min_notice_minutes` integer,
	`booking_window_days` integer,
	`sort_order` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "chains_duration" CHECK("chains"."duration_minutes" IS NULL OR ("chains"."duration_minutes" > 0 AND "chains"."duration_minutes" <= 1440)),
	CONSTRAINT "chains_buffer" CHECK("chains"."buffer_after_minutes" >= 0 AND "chains"."buffer_after_minutes" <= 480),
	CONSTRAINT "chains_age" CHECK(("chains"."min_age" IS NULL OR "chains"."min_age" >= 0) AND ("chains"."max_age" IS NULL OR "chains"."max_age" >= 0) AND ("chains"."min_age" IS NULL OR "chains"."max_age" IS NULL OR "chains"."min_age" <= "chains"."max_age")),
	CONSTRAINT "chains_notice" CHECK("chains"."min_notice_minutes" IS NULL OR "chains"."min_notice_minutes" >= 0),
	CONSTRAINT "chains_window" CHECK("chains"."booking_window_days" IS NULL OR "chains"."booking_window_days" BETWEEN 1 AND 730)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chains_practice_id` ON `chains` (`practice_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `chains_practice_key` ON `chains` (`practice_id`,`key`);--> statement-breakpoint
CREATE TABLE `clients` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
	`email` text,
	`phone` text,
	`birth_date` text,
	`access_code` text NOT NULL,
	`access_code_version` integer DEFAULT 1 NOT NULL,
	`consent_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "clients_names" CHECK(length("clients"."first_name") > 0 AND length("clients"."last_name") > 0),
	CONSTRAINT "clients_birth_date" CHECK("clients"."birth_date" IS NULL OR "clients"."birth_date" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "clients_access_code" CHECK(length("clients"."access_code") >= 6)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clients_practice_email` ON `clients` (`practice_id`,lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX `clients_practice_id` ON `clients` (`practice_id`,`id`);--> statement-breakpoint
CREATE TABLE `exclusions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`client_id` integer NOT NULL,
	`template_id` integer NOT NULL,
	`reason` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`client_id`) REFERENCES `clients`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`template_id`) REFERENCES `package_templates`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "exclusions_reason" CHECK(length("exclusions"."reason") > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `exclusions_client_template` ON `exclusions` (`client_id`,`template_id`);--> statement-breakpoint
CREATE TABLE `login_codes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`client_id` integer NOT NULL,
	`code_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`client_id`) REFERENCES `clients`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `login_codes_client` ON `login_codes` (`client_id`,`expires_at`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`kind` text NOT NULL,
	`to_address` text NOT NULL,
	`subject` text NOT NULL,
	`text_body` text NOT NULL,
	`attachments` text DEFAULT '[]' NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`claimed_by` text,
	`claimed_until` integer,
	`last_error` text,
	`message_id` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "outbox_status" CHECK("outbox"."status" IN ('pending','sent','failed'))
);
--> statement-breakpoint
CREATE INDEX `outbox_due` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `package_ledger` (
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
	CONSTRAINT "package_ledger_action" CHECK("package_ledger"."action" IN ('created','limits_changed','closed','reopened','assigned','released','excluded','withdrawn'))
);
--> statement-breakpoint
CREATE INDEX `package_ledger_package` ON `package_ledger` (`package_id`,`at`);--> statement-breakpoint
CREATE TABLE `package_templates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`max_appointments` integer,
	`max_amount_cents` integer,
	`code_limits` text DEFAULT '[]' NOT NULL,
	`validity_kind` text NOT NULL,
	`validity_days` integer,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "package_templates_has_limit" CHECK("package_templates"."max_appointments" IS NOT NULL OR "package_templates"."max_amount_cents" IS NOT NULL OR json_array_length("package_templates"."code_limits") > 0),
	CONSTRAINT "package_templates_max_appointments" CHECK("package_templates"."max_appointments" IS NULL OR "package_templates"."max_appointments" > 0),
	CONSTRAINT "package_templates_max_amount" CHECK("package_templates"."max_amount_cents" IS NULL OR "package_templates"."max_amount_cents" > 0),
	CONSTRAINT "package_templates_validity" CHECK(("package_templates"."validity_kind" = 'days' AND "package_templates"."validity_days" > 0) OR ("package_templates"."validity_kind" IN ('none','calendar_year') AND "package_templates"."validity_days" IS NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `package_templates_practice_id` ON `package_templates` (`practice_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `package_templates_practice_key` ON `package_templates` (`practice_id`,`key`);--> statement-breakpoint
CREATE TABLE `packages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`client_id` integer NOT NULL,
	`template_id` integer NOT NULL,
	`name` text NOT NULL,
	`max_appointments` integer,
	`max_amount_cents` integer,
	`code_limits` text DEFAULT '[]' NOT NULL,
	`valid_from` integer,
	`valid_until` integer,
	`status` text DEFAULT 'active' NOT NULL,
	`origin` text NOT NULL,
	`closed_reason` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`client_id`) REFERENCES `clients`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`template_id`) REFERENCES `package_templates`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "packages_has_limit" CHECK("packages"."max_appointments" IS NOT NULL OR "packages"."max_amount_cents" IS NOT NULL OR json_array_length("packages"."code_limits") > 0),
	CONSTRAINT "packages_max_appointments" CHECK("packages"."max_appointments" IS NULL OR "packages"."max_appointments" > 0),
	CONSTRAINT "packages_max_amount" CHECK("packages"."max_amount_cents" IS NULL OR "packages"."max_amount_cents" > 0),
	CONSTRAINT "packages_validity" CHECK("packages"."valid_from" IS NULL OR "packages"."valid_until" IS NULL OR "packages"."valid_from" < "packages"."valid_until"),
	CONSTRAINT "packages_status" CHECK("packages"."status" IN ('active','closed','withdrawn')),
	CONSTRAINT "packages_origin" CHECK("packages"."origin" IN ('manual','booking'))
);
--> statement-breakpoint
CREATE INDEX `packages_client_template` ON `packages` (`client_id`,`template_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `packages_practice_id` ON `packages` (`practice_id`,`id`);--> statement-breakpoint
CREATE TABLE `practices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`plan` text NOT NULL,
	`time_zone` text DEFAULT 'Europe/Berlin' NOT NULL,
	`online_booking_enabled` integer DEFAULT true NOT NULL,
	`min_notice_minutes` integer DEFAULT 120 NOT NULL,
	`booking_window_days` integer DEFAULT 60 NOT NULL,
	`slot_mode` text DEFAULT 'grid' NOT NULL,
	`slot_step_minutes` integer DEFAULT 15 NOT NULL,
	`cancel_deadline_minutes` integer DEFAULT 1440 NOT NULL,
	`allowed_origins` text DEFAULT '[]' NOT NULL,
	`privacy_notice_url` text,
	`contact_email` text,
	`created_at` integer NOT NULL,
	CONSTRAINT "practices_plan" CHECK("practices"."plan" IN ('S','M','L','XL','XXL')),
	CONSTRAINT "practices_slot_mode" CHECK("practices"."slot_mode" IN ('grid','compact')),
	CONSTRAINT "practices_slug" CHECK(length("practices"."slug") BETWEEN 1 AND 64 AND "practices"."slug" NOT GLOB '*[^a-z0-9-]*'),
	CONSTRAINT "practices_notice" CHECK("practices"."min_notice_minutes" >= 0),
	CONSTRAINT "practices_window" CHECK("practices"."booking_window_days" BETWEEN 1 AND 730),
	CONSTRAINT "practices_step" CHECK("practices"."slot_step_minutes" BETWEEN 5 AND 240),
	CONSTRAINT "practices_cancel_deadline" CHECK("practices"."cancel_deadline_minutes" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `practices_slug_unique` ON `practices` (`slug`);--> statement-breakpoint
CREATE TABLE `rooms` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rooms_practice_id` ON `rooms` (`practice_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `rooms_practice_key` ON `rooms` (`practice_id`,`key`);--> statement-breakpoint
CREATE TABLE `services` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`price_cents` integer NOT NULL,
	`duration_minutes` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "services_price" CHECK("services"."price_cents" >= 0),
	CONSTRAINT "services_duration" CHECK("services"."duration_minutes" > 0 AND "services"."duration_minutes" <= 1440)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `services_practice_id` ON `services` (`practice_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `services_practice_code` ON `services` (`practice_id`,`code`);--> statement-breakpoint
CREATE TABLE `therapists` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`user_id` integer,
	`active` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`user_id`) REFERENCES `users`(`practice_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `therapists_practice_id` ON `therapists` (`practice_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `therapists_practice_key` ON `therapists` (`practice_id`,`key`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "users_role" CHECK("users"."role" IN ('admin','staff'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_practice_email` ON `users` (`practice_id`,lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX `users_practice_id` ON `users` (`practice_id`,`id`);--> statement-breakpoint
CREATE TABLE `working_hours` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`practice_id` integer NOT NULL,
	`therapist_id` integer NOT NULL,
	`weekday` integer NOT NULL,
	`start_minute` integer NOT NULL,
	`end_minute` integer NOT NULL,
	FOREIGN KEY (`practice_id`) REFERENCES `practices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`practice_id`,`therapist_id`) REFERENCES `therapists`(`practice_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "working_hours_weekday" CHECK("working_hours"."weekday" BETWEEN 1 AND 7),
	CONSTRAINT "working_hours_span" CHECK("working_hours"."start_minute" >= 0 AND "working_hours"."end_minute" <= 1440 AND "working_hours"."start_minute" < "working_hours"."end_minute")
);
--> statement-breakpoint
CREATE INDEX `working_hours_therapist` ON `working_hours` (`therapist_id`,`weekday`);