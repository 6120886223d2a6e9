drop table if exists cogo_sagas;
