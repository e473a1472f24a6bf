CREATE TYPE "public"."model_call_kind" AS ENUM('tutor', 'grader', 'moderation');--> statement-breakpoint
CREATE TABLE "model_calls" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "model_calls_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"session_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"course_id" integer NOT NULL,
	"kind" "model_call_kind" NOT NULL,
	"model" text,
	"prompt_tokens" integer NOT NULL,
	"output_tokens" integer NOT NULL,
	"cached_tokens" integer NOT NULL,
	"cost_usd" numeric(14, 8),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "chat_messages" ADD COLUMN "kind" text;--> statement-breakpoint
ALTER TABLE "model_calls" ADD CONSTRAINT "model_calls_session_id_chat_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."chat_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "model_calls_user_idx" ON "model_calls" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "model_calls_created_idx" ON "model_calls" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "model_calls_session_idx" ON "model_calls" USING btree ("session_id");--> statement-breakpoint
-- Calls made before this table: their tokens were kept on the tutor's messages and on the grades (model unknown).
INSERT INTO "model_calls" ("session_id", "user_id", "course_id", "kind", "prompt_tokens", "output_tokens", "cached_tokens", "created_at")
SELECT m."session_id", s."user_id", s."course_id", 'tutor', m."prompt_tokens", coalesce(m."output_tokens", 0), coalesce(m."cached_tokens", 0), m."created_at"
FROM "chat_messages" m JOIN "chat_sessions" s ON s."id" = m."session_id"
WHERE m."prompt_tokens" IS NOT NULL AND m."prompt_tokens" > 0;--> statement-breakpoint
INSERT INTO "model_calls" ("session_id", "user_id", "course_id", "kind", "prompt_tokens", "output_tokens", "cached_tokens", "created_at")
SELECT a."session_id", s."user_id", s."course_id", 'grader', a."prompt_tokens", coalesce(a."output_tokens", 0), coalesce(a."cached_tokens", 0), coalesce(a."graded_at", a."asked_at")
FROM "assessments" a JOIN "chat_sessions" s ON s."id" = a."session_id"
WHERE a."prompt_tokens" IS NOT NULL AND a."prompt_tokens" > 0;
