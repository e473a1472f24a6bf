ALTER TABLE "chat_sessions" ADD COLUMN "conversation_length" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Sessions started before this column: their count, from their messages.
UPDATE "chat_sessions" SET "conversation_length" = (SELECT count(*) FROM "chat_messages" WHERE "chat_messages"."session_id" = "chat_sessions"."id" AND "chat_messages"."role" <> 'system');
