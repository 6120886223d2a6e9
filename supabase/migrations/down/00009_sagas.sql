drop table if exists index_requests;
drop table if exists cogo_sagas;
