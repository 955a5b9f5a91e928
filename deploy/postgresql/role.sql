-- The role and database Relais uses (psql -U postgres -f deploy/postgresql/role.sql).
-- Set the password afterwards: \password relais
CREATE ROLE relais LOGIN;
CREATE DATABASE relais OWNER relais ENCODING 'UTF8' TEMPLATE template0;
-- What RELAIS_PG_OPTIONS sets per connection when there is no PgBouncer in between.
ALTER ROLE relais SET jit = off;
ALTER ROLE relais SET max_parallel_workers_per_gather = 0;
-- Relais never keeps a transaction open long; a runaway one is cut.
ALTER ROLE relais SET idle_in_transaction_session_timeout = '5min';
