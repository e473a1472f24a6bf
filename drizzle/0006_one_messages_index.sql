-- Every read of a session's messages goes through (session_id, position) since 0005: this one only cost inserts.
DROP INDEX "chat_messages_session_idx";
