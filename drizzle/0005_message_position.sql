ALTER TABLE "chat_messages" ADD COLUMN "position" integer;--> statement-breakpoint
-- Messages written before this column: their place in their session, in id order (the system prompt, written
-- first with its session, at 0).
UPDATE "chat_messages" SET "position" = "numbered"."position" FROM (SELECT "id", row_number() OVER (PARTITION BY "session_id" ORDER BY "id") - 1 AS "position" FROM "chat_messages") AS "numbered" WHERE "chat_messages"."id" = "numbered"."id";--> statement-breakpoint
ALTER TABLE "chat_messages" ALTER COLUMN "position" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "chat_messages_session_position_idx" ON "chat_messages" USING btree ("session_id","position");
