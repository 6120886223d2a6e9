drop table if exists chat_feedback;
drop table if exists chat_messages;
drop table if exists chat_sessions;
