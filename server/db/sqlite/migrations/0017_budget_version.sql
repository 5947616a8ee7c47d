-- Written by hand: drizzle-kit rebuilds the table to add a CHECK, but SQLite adds a column with a
-- column CHECK in place (and tests it on the rows there are, all 0). The budget's version moves on
-- with every decision about the file's budgets; see db/queries/calendar.ts (lockClient, applyPlan).
ALTER TABLE `clients` ADD COLUMN `budget_version` integer DEFAULT 0 NOT NULL CONSTRAINT "clients_budget_current" CHECK ("budget_version" >= 0);
