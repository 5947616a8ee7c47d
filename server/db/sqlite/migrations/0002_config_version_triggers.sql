-- Every change to what decides the bookable offer raises practices.config_version, so a process
-- that keeps a practice's configuration in memory can tell by one number whether it is current
-- (server/booking/config.ts). Triggers, not application code: no writer can forget it.
CREATE TRIGGER `practices_config_version` AFTER UPDATE ON `practices`
WHEN NEW.`config_version` = OLD.`config_version`
BEGIN UPDATE `practices` SET `config_version` = OLD.`config_version` + 1 WHERE `id` = NEW.`id`; END;
--> statement-breakpoint
CREATE TRIGGER `therapists_config_insert` AFTER INSERT ON `therapists`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `therapists_config_update` AFTER UPDATE ON `therapists`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `therapists_config_delete` AFTER DELETE ON `therapists`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `rooms_config_insert` AFTER INSERT ON `rooms`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `rooms_config_update` AFTER UPDATE ON `rooms`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `rooms_config_delete` AFTER DELETE ON `rooms`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `working_hours_config_insert` AFTER INSERT ON `working_hours`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `working_hours_config_update` AFTER UPDATE ON `working_hours`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `working_hours_config_delete` AFTER DELETE ON `working_hours`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `availability_exceptions_config_insert` AFTER INSERT ON `availability_exceptions`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `availability_exceptions_config_update` AFTER UPDATE ON `availability_exceptions`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `availability_exceptions_config_delete` AFTER DELETE ON `availability_exceptions`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `services_config_insert` AFTER INSERT ON `services`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `services_config_update` AFTER UPDATE ON `services`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `services_config_delete` AFTER DELETE ON `services`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `package_templates_config_insert` AFTER INSERT ON `package_templates`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `package_templates_config_update` AFTER UPDATE ON `package_templates`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `package_templates_config_delete` AFTER DELETE ON `package_templates`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `chains_config_insert` AFTER INSERT ON `chains`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `chains_config_update` AFTER UPDATE ON `chains`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `chains_config_delete` AFTER DELETE ON `chains`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `chain_lines_config_insert` AFTER INSERT ON `chain_lines`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `chain_lines_config_update` AFTER UPDATE ON `chain_lines`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `chain_lines_config_delete` AFTER DELETE ON `chain_lines`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `chain_therapists_config_insert` AFTER INSERT ON `chain_therapists`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `chain_therapists_config_update` AFTER UPDATE ON `chain_therapists`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `chain_therapists_config_delete` AFTER DELETE ON `chain_therapists`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `chain_package_rules_config_insert` AFTER INSERT ON `chain_package_rules`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`practice_id`; END;
--> statement-breakpoint
CREATE TRIGGER `chain_package_rules_config_update` AFTER UPDATE ON `chain_package_rules`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`practice_id`, NEW.`practice_id`); END;
--> statement-breakpoint
CREATE TRIGGER `chain_package_rules_config_delete` AFTER DELETE ON `chain_package_rules`
BEGIN UPDATE `practices` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`practice_id`; END;
