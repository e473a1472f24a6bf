CREATE TABLE "message_kinds" (
	"message_id" integer PRIMARY KEY NOT NULL,
	"session_id" integer NOT NULL,
	"kind" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "message_kinds" ADD CONSTRAINT "message_kinds_message_id_chat_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."chat_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_kinds" ADD CONSTRAINT "message_kinds_session_id_chat_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."chat_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "message_kinds_session_idx" ON "message_kinds" USING btree ("session_id","kind");--> statement-breakpoint
-- Kinds recorded in chat_messages' own column by the release before, moved here; the column goes, and chat_messages
-- has the columns statements of earlier releases were prepared with.
INSERT INTO "message_kinds" ("message_id", "session_id", "kind")
SELECT "id", "session_id", "kind" FROM "chat_messages" WHERE "kind" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_messages" DROP COLUMN "kind";