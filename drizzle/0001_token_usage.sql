ALTER TABLE "assessments" ADD COLUMN "prompt_tokens" integer;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "output_tokens" integer;--> statement-breakpoint
ALTER TABLE "assessments" ADD COLUMN "cached_tokens" integer;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD COLUMN "prompt_tokens" integer;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD COLUMN "output_tokens" integer;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD COLUMN "cached_tokens" integer;