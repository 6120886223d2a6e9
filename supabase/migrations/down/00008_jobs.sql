-- Leaves pg-boss's own schema (`pgboss`) alone: pg-boss installs and removes it itself.
drop table if exists job_events;
drop table if exists cogo_jobs;
