CREATE TABLE "reply_streams" (
	"turn_id" uuid PRIMARY KEY NOT NULL,
	"session_id" integer NOT NULL,
	"lease" text NOT NULL,
	"text" text DEFAULT '' NOT NULL,
	"outcome" text,
	"outcome_data" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reply_streams" ADD CONSTRAINT "reply_streams_session_id_chat_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."chat_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reply_streams_session_idx" ON "reply_streams" USING btree ("session_id","created_at");--> statement-breakpoint
CREATE INDEX "reply_streams_updated_idx" ON "reply_streams" USING btree ("updated_at");