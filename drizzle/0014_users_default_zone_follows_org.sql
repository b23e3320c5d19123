-- Custom SQL migration file, put your code below! --
-- Accounts that kept the old default zone (UTC) now follow their organization's zone.
UPDATE "users" SET "time_zone" = NULL WHERE "time_zone" = 'UTC';
