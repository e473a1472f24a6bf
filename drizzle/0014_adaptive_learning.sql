CREATE TABLE "objective_mastery" (
	"user_id" integer NOT NULL,
	"course_id" integer NOT NULL,
	"topic_id" integer NOT NULL,
	"objective_id" text NOT NULL,
	"probability" double precision NOT NULL,
	"attempts" integer NOT NULL,
	"correct" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "objective_mastery_user_id_topic_id_objective_id_pk" PRIMARY KEY("user_id","topic_id","objective_id")
);
--> statement-breakpoint
ALTER TABLE "session_contexts" ADD COLUMN "objectives" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "session_contexts" ADD COLUMN "mastery_params" jsonb;--> statement-breakpoint
ALTER TABLE "session_contexts" ADD COLUMN "language" text DEFAULT 'en' NOT NULL;--> statement-breakpoint
CREATE INDEX "objective_mastery_course_idx" ON "objective_mastery" USING btree ("user_id","course_id");