ALTER TABLE "appointments" DROP CONSTRAINT "appointments_status";--> statement-breakpoint
DROP INDEX "appointments_therapist_time";--> statement-breakpoint
DROP INDEX "appointments_room_time";--> statement-breakpoint
ALTER TABLE "appointments" ALTER COLUMN "client_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "appointments" ADD COLUMN "hold_expires_at" bigint;--> statement-breakpoint
ALTER TABLE "appointments" ADD COLUMN "hold_owner" text;--> statement-breakpoint
CREATE INDEX "appointments_holds" ON "appointments" USING btree ("hold_expires_at") WHERE "appointments"."status" = 'held';--> statement-breakpoint
CREATE INDEX "appointments_therapist_time" ON "appointments" USING btree ("therapist_id","starts_at","blocked_until","status","room_id","hold_expires_at");--> statement-breakpoint
CREATE INDEX "appointments_room_time" ON "appointments" USING btree ("room_id","starts_at","blocked_until","status","therapist_id","hold_expires_at");--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_hold" CHECK (("appointments"."status" = 'held') = ("appointments"."hold_expires_at" IS NOT NULL) AND ("appointments"."status" = 'held') = ("appointments"."client_id" IS NULL));--> statement-breakpoint
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_status" CHECK ("appointments"."status" IN ('booked','done','no_show','cancelled','held'));