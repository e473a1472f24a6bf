CREATE TABLE "safety_flags" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "safety_flags_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"session_id" integer NOT NULL,
	"message_id" integer,
	"user_id" integer NOT NULL,
	"course_id" integer NOT NULL,
	"category" text NOT NULL,
	"severity" text NOT NULL,
	"source" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text
);
--> statement-breakpoint
ALTER TABLE "safety_flags" ADD CONSTRAINT "safety_flags_session_id_chat_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."chat_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "safety_flags" ADD CONSTRAINT "safety_flags_message_id_chat_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."chat_messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "safety_flags_status_idx" ON "safety_flags" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "safety_flags_session_idx" ON "safety_flags" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "safety_flags_user_idx" ON "safety_flags" USING btree ("user_id");