drop table if exists secure_keys_audit;
drop table if exists secure_keys;
drop table if exists llm_calls;
drop table if exists llm_routing_decisions;
drop table if exists provider_health;
drop table if exists routing_policies;
drop table if exists llm_models;
drop table if exists llm_providers;
