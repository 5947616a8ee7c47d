ALTER TABLE "practices" ADD COLUMN "hold_minutes" integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE "practices" ADD COLUMN "max_open_online_bookings" integer DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE "practices" ADD COLUMN "mail_names_service" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "practices" ADD COLUMN "online_limits" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "practices" ADD CONSTRAINT "practices_hold" CHECK ("practices"."hold_minutes" BETWEEN 1 AND 60);--> statement-breakpoint
ALTER TABLE "practices" ADD CONSTRAINT "practices_open_bookings" CHECK ("practices"."max_open_online_bookings" BETWEEN 1 AND 100);