CREATE TABLE "erasure_audit" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "erasure_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"erased_by" text NOT NULL,
	"user_id_hash" text NOT NULL,
	"salt" text NOT NULL,
	"deleted" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "chat_sessions_started_idx" ON "chat_sessions" USING btree ("started_at");