-- A counter with `max_points` is kept within it by the database: a point over the limit fails its
-- statement, and the batch it came with (db/queries/rateLimits.ts).
ALTER TABLE "rate_limits" ADD COLUMN "max_points" integer;--> statement-breakpoint
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_within" CHECK ("rate_limits"."max_points" IS NULL OR "rate_limits"."points" <= "rate_limits"."max_points");