-- What drizzle's schema cannot say: exclusion constraints against overlapping appointments, and the
-- config_version triggers (SQLite: migration 0002_config_version_triggers).
--
-- btree_gist gives GiST the plain = on integer columns that the exclusion constraints combine with
-- the range overlap &&. Creating an extension needs the right to do so on the database; where the
-- migrating role lacks it, an administrator creates btree_gist once beforehand.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
--> statement-breakpoint
-- A double booking is impossible even for code that forgets to check: among the appointments that
-- are not cancelled, no two of one therapist, of one room, or of one client file overlap. The ranges
-- are half-open, [starts_at, blocked_until), so back-to-back appointments do not conflict; therapist
-- and room are blocked through the buffer after an appointment, the client only until its end.
ALTER TABLE appointments ADD CONSTRAINT appointments_therapist_no_overlap
  EXCLUDE USING gist (practice_id WITH =, therapist_id WITH =, int8range(starts_at, blocked_until) WITH &&)
  WHERE (status <> 'cancelled');
--> statement-breakpoint
ALTER TABLE appointments ADD CONSTRAINT appointments_room_no_overlap
  EXCLUDE USING gist (practice_id WITH =, room_id WITH =, int8range(starts_at, blocked_until) WITH &&)
  WHERE (status <> 'cancelled' AND room_id IS NOT NULL);
--> statement-breakpoint
ALTER TABLE appointments ADD CONSTRAINT appointments_client_no_overlap
  EXCLUDE USING gist (practice_id WITH =, client_id WITH =, int8range(starts_at, ends_at) WITH &&)
  WHERE (status <> 'cancelled');
--> statement-breakpoint
-- Every change to what decides the bookable offer raises practices.config_version, so a process
-- that keeps a practice's configuration in memory can tell by one number whether it is current
-- (server/booking/config.ts). Triggers, not application code: no writer can forget it.
CREATE FUNCTION practices_config_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE practices SET config_version = config_version + 1 WHERE id = NEW.practice_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE practices SET config_version = config_version + 1 WHERE id = OLD.practice_id;
  ELSE
    -- Both practices when a row moves from one to the other; IN counts each practice once.
    UPDATE practices SET config_version = config_version + 1 WHERE id IN (OLD.practice_id, NEW.practice_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER therapists_config_version AFTER INSERT OR UPDATE OR DELETE ON therapists
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER rooms_config_version AFTER INSERT OR UPDATE OR DELETE ON rooms
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER working_hours_config_version AFTER INSERT OR UPDATE OR DELETE ON working_hours
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER availability_exceptions_config_version AFTER INSERT OR UPDATE OR DELETE ON availability_exceptions
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER services_config_version AFTER INSERT OR UPDATE OR DELETE ON services
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER package_templates_config_version AFTER INSERT OR UPDATE OR DELETE ON package_templates
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER chains_config_version AFTER INSERT OR UPDATE OR DELETE ON chains
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER chain_lines_config_version AFTER INSERT OR UPDATE OR DELETE ON chain_lines
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER chain_therapists_config_version AFTER INSERT OR UPDATE OR DELETE ON chain_therapists
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
CREATE TRIGGER chain_package_rules_config_version AFTER INSERT OR UPDATE OR DELETE ON chain_package_rules
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_bump();
--> statement-breakpoint
-- Any other change to the practice row raises the number too. A BEFORE trigger that sets it in the
-- same row (SQLite needs a second, recursive UPDATE): an update that sets config_version itself —
-- as the function above does — is left as it is, so each change counts exactly once.
CREATE FUNCTION practices_config_version_self() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.config_version = OLD.config_version THEN
    NEW.config_version := OLD.config_version + 1;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER practices_config_version BEFORE UPDATE ON practices
  FOR EACH ROW EXECUTE FUNCTION practices_config_version_self();
