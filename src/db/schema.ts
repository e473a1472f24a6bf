import { sql } from 'drizzle-orm';
import { boolean, doublePrecision, index, integer, jsonb, numeric, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const sessionStatus = pgEnum('session_status', ['active', 'completed', 'abandoned']);
export const messageRole = pgEnum('message_role', ['system', 'user', 'assistant']);
export const assessmentStatus = pgEnum('assessment_status', ['pending', 'graded', 'skipped']);

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** Tokens of the LLM call that produced a row: set for tutor replies and for grades. */
const tokenUsage = () => ({
  promptTokens: integer('prompt_tokens'),
  outputTokens: integer('output_tokens'),
  cachedTokens: integer('cached_tokens'),
});

export const chatSessions = pgTable(
  'chat_sessions',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id').notNull(),
    courseId: integer('course_id').notNull(),
    topicId: integer('topic_id').notNull(),
    status: sessionStatus('status').notNull().default('active'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** A turn in progress holds the session until then (or until it ends), across instances. */
    turnLeaseUntil: timestamp('turn_lease_until', { withTimezone: true }),
    turnLeaseToken: text('turn_lease_token'),
    /**
     * How many conversation (not system) messages the session holds, written with them: a turn needs the number
     * to place its history window, and counting the rows made every turn cost more as the conversation grew.
     */
    conversationLength: integer('conversation_length').notNull().default(0),
  },
  (table) => [index('chat_sessions_user_idx').on(table.userId, table.id), index('chat_sessions_started_idx').on(table.startedAt)],
);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    sessionId: integer('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    role: messageRole('role').notNull(),
    content: text('content').notNull(),
    /**
     * Its place in the session: 0 for the system prompt, then 1, 2, … in conversation order, up to the session's
     * `conversationLength`. A turn reads its history window as a range of positions, which bounds the rows read
     * whatever plan PostgreSQL picks; "the newest 50" (ORDER BY … LIMIT) let it read the whole conversation.
     */
    position: integer('position').notNull(),
    createdAt: createdAt(),
    ...tokenUsage(),
  },
  // Conversation order is the position order, and the id order: two messages of one turn can share a timestamp.
  // The one index serves every read of a session's messages; a second on (session_id, id) would only cost inserts.
  (table) => [uniqueIndex('chat_messages_session_position_idx').on(table.sessionId, table.position)],
);

/**
 * How the turn took a learner's message: an answer to the pending question, a hint request, or a question of theirs.
 * A table of its own, not a column of chat_messages: instances of an earlier release, still running during a rolling
 * upgrade, hold statements prepared against chat_messages' columns, which a new column would break.
 */
export const messageKinds = pgTable(
  'message_kinds',
  {
    messageId: integer('message_id')
      .primaryKey()
      .references(() => chatMessages.id, { onDelete: 'cascade' }),
    sessionId: integer('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<'answer' | 'hint' | 'question'>().notNull(),
  },
  (table) => [index('message_kinds_session_idx').on(table.sessionId, table.kind)],
);

/** What the session was started with: the learner and topic as they were then, so a session stays consistent. */
export const sessionContexts = pgTable('session_contexts', {
  sessionId: integer('session_id')
    .primaryKey()
    .references(() => chatSessions.id, { onDelete: 'cascade' }),
  userLevel: text('user_level').notNull(),
  completedTopics: jsonb('completed_topics').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  struggles: jsonb('struggles').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  courseTitle: text('course_title').notNull(),
  topicTitle: text('topic_title').notNull(),
  topicDescription: text('topic_description').notNull(),
  learningObjectives: text('learning_objectives').notNull(),
  explanation: text('explanation'),
  promptTemplate: text('prompt_template'),
  questionBank: jsonb('question_bank').$type<BankQuestionSnapshot[]>().notNull().default(sql`'[]'::jsonb`),
  createdAt: createdAt(),
  /** The topic's objectives; empty for a session started before objectives were data. */
  objectives: jsonb('objectives').$type<{ id: string; text: string }[]>().notNull().default(sql`'[]'::jsonb`),
  /** The topic's Bayesian Knowledge Tracing parameters, the defaults filled in; null: the defaults. */
  masteryParams: jsonb('mastery_params').$type<{ prior: number; learn: number; slip: number; guess: number }>(),
  /** The language the session teaches in (BCP 47). */
  language: text('language').notNull().default('en'),
});

export interface BankQuestionSnapshot {
  question: string;
  answers: string[];
  hint: string;
  objective?: string;
}

/**
 * A learner's mastery of one objective of a topic, by Bayesian Knowledge Tracing: the probability that they know it,
 * updated at every graded answer to a question that checks it, whichever session it was in.
 */
export const objectiveMastery = pgTable(
  'objective_mastery',
  {
    userId: integer('user_id').notNull(),
    courseId: integer('course_id').notNull(),
    topicId: integer('topic_id').notNull(),
    objectiveId: text('objective_id').notNull(),
    probability: doublePrecision('probability').notNull(),
    attempts: integer('attempts').notNull(),
    correct: integer('correct').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.topicId, table.objectiveId] }), index('objective_mastery_course_idx').on(table.userId, table.courseId)],
);

/** A question the tutor asked and, once answered, its grade. The expected answer is never shown to the learner. */
export const assessments = pgTable(
  'assessments',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    sessionId: integer('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    question: text('question').notNull(),
    expectedAnswer: text('expected_answer').notNull(),
    acceptedAnswers: jsonb('accepted_answers').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    hint: text('hint'),
    objective: text('objective'),
    status: assessmentStatus('status').notNull().default('pending'),
    learnerAnswer: text('learner_answer'),
    correct: boolean('correct'),
    feedback: text('feedback'),
    questionMessageId: integer('question_message_id').references(() => chatMessages.id, { onDelete: 'set null' }),
    answerMessageId: integer('answer_message_id').references(() => chatMessages.id, { onDelete: 'set null' }),
    askedAt: timestamp('asked_at', { withTimezone: true }).notNull().defaultNow(),
    gradedAt: timestamp('graded_at', { withTimezone: true }),
    ...tokenUsage(),
  },
  (table) => [index('assessments_session_idx').on(table.sessionId, table.id)],
);

/** Learner progress kept by the local catalog (the .NET backend keeps its own): one row per topic a learner passed. */
export const topicCompletions = pgTable(
  'topic_completions',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id').notNull(),
    courseId: integer('course_id').notNull(),
    topicId: integer('topic_id').notNull(),
    sessionId: integer('session_id').references(() => chatSessions.id, { onDelete: 'set null' }),
    completedAt: timestamp('completed_at', { withTimezone: true }).notNull(),
  },
  (table) => [uniqueIndex('topic_completions_user_topic_idx').on(table.userId, table.topicId)],
);

export const outboxStatus = pgEnum('outbox_status', ['pending', 'delivered', 'dead']);

/** A queued delivery's state, shared by every queue a dispatcher (src/outbox/dispatcher.ts) delivers from. */
const deliveryColumns = () => ({
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  sessionId: integer('session_id').references(() => chatSessions.id, { onDelete: 'set null' }),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  status: outboxStatus('status').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  /** A dispatcher that claimed the row owns it until then; after a crash, another takes it over. */
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  lastError: text('last_error'),
  createdAt: createdAt(),
  /** When the row was last (re)queued: its age for dead-lettering counts from here. */
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }),
});

/**
 * Notifications to the .NET backend, written in the transaction that causes them and delivered by the
 * dispatcher (src/outbox/dispatcher.ts). One row per session: a completion is notified once.
 */
export const outbox = pgTable('outbox', deliveryColumns(), (table) => [
  uniqueIndex('outbox_session_idx').on(table.sessionId),
  index('outbox_due_idx').on(table.status, table.nextAttemptAt),
]);

/**
 * Events to the platform's webhook (EVENTS_WEBHOOK_URL): safety flags, budget alerts and, without the .NET backend,
 * completions. Queued in the transaction that causes them, delivered at least once like the outbox's notices; an
 * event key is queued once (a session's completion, a day's alert).
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    ...deliveryColumns(),
    /** `topic.completed`, `safety.flagged`, `budget.alert`. */
    eventType: text('event_type').notNull(),
    eventKey: text('event_key').notNull(),
    /** The learner it is about, if any: erased with them. */
    userId: integer('user_id'),
  },
  (table) => [
    uniqueIndex('webhook_events_key_idx').on(table.eventKey),
    index('webhook_events_due_idx').on(table.status, table.nextAttemptAt),
    index('webhook_events_user_idx').on(table.userId),
  ],
);

/** Responses to requests sent with an Idempotency-Key, replayed when the same request is sent again. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** Who sent it and where: the key is theirs, for that route. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** Null while the first request is still being answered. */
    statusCode: integer('status_code'),
    response: jsonb('response'),
    /**
     * While the request is being answered: the token of the request answering it, which holds the key until
     * `lockedUntil` and renews that while it runs. A request that crashed stops renewing, and a retry takes the key
     * over once it lapses. Both null once answered (and for keys an earlier release claimed: see idempotency.ts).
     */
    owner: text('owner'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.scope, table.key] }), index('idempotency_keys_expiry_idx').on(table.expiresAt)],
);

/**
 * A streamed reply as it is written, so that a client that lost its connection can read the rest of it from any
 * instance (GET /api/sessions/{id}/stream). Kept for a grace period after the turn ends, then purged.
 */
export const replyStreams = pgTable(
  'reply_streams',
  {
    /** The turn's public id, in its events' ids. */
    turnId: uuid('turn_id').primaryKey(),
    sessionId: integer('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    /** The turn lease's token: while the session holds a live lease under it, the reply is still being written. */
    lease: text('lease').notNull(),
    /** The reply's text so far (whole once it ended). */
    text: text('text').notNull().default(''),
    /** How the reply ended, `done` or `error`, with that event's data as it was sent; null while it goes on. */
    outcome: text('outcome'),
    outcomeData: text('outcome_data'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('reply_streams_session_idx').on(table.sessionId, table.createdAt), index('reply_streams_updated_idx').on(table.updatedAt)],
);

export const modelCallKind = pgEnum('model_call_kind', ['tutor', 'grader', 'moderation']);

/**
 * Every model call a learner's turn caused, with its tokens and what it cost: usage reports, budgets and the
 * oversight views read it. Written in the transaction that saves the turn (or starts the session).
 */
export const modelCalls = pgTable(
  'model_calls',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    sessionId: integer('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    // The session's, copied: usage is grouped and budgets are counted by learner and course without a join.
    userId: integer('user_id').notNull(),
    courseId: integer('course_id').notNull(),
    kind: modelCallKind('kind').notNull(),
    /** Null for calls recorded before models were (their tokens were kept on the messages and grades). */
    model: text('model'),
    promptTokens: integer('prompt_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    /** Prompt tokens served from the provider's cache, included in promptTokens. */
    cachedTokens: integer('cached_tokens').notNull(),
    /** USD, from the price table when the call was made; null for a model without a price. */
    costUsd: numeric('cost_usd', { precision: 14, scale: 8, mode: 'number' }),
    createdAt: createdAt(),
  },
  (table) => [
    index('model_calls_user_idx').on(table.userId, table.createdAt),
    index('model_calls_created_idx').on(table.createdAt),
    index('model_calls_session_idx').on(table.sessionId),
  ],
);

/** A risk the moderation step found in a learner's message, for teachers and admins to review and resolve. */
export const safetyFlags = pgTable(
  'safety_flags',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    sessionId: integer('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    /** The learner's message that raised it. */
    messageId: integer('message_id').references(() => chatMessages.id, { onDelete: 'set null' }),
    userId: integer('user_id').notNull(),
    courseId: integer('course_id').notNull(),
    category: text('category').$type<'self_harm' | 'violence' | 'sexual' | 'harassment'>().notNull(),
    severity: text('severity').$type<'low' | 'medium' | 'high'>().notNull(),
    /** Which classifier raised it: the offline rules, or the moderation endpoint. */
    source: text('source').$type<'rules' | 'moderation'>().notNull(),
    status: text('status').$type<'open' | 'resolved'>().notNull().default('open'),
    createdAt: createdAt(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /** Who resolved it: `admin`, or `user:<id>` for a token's holder. */
    resolvedBy: text('resolved_by'),
  },
  (table) => [
    index('safety_flags_status_idx').on(table.status, table.id),
    index('safety_flags_session_idx').on(table.sessionId),
    index('safety_flags_user_idx').on(table.userId),
  ],
);

/**
 * A learner's erasure, for the record: who asked, when, how many rows of each table went, and the learner's id only
 * as a salted hash (never their content). Kept after everything else about them is gone.
 */
export const erasureAudit = pgTable('erasure_audit', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  erasedAt: createdAt(),
  /** `admin`, or `user:<id>` for an admin's token. */
  erasedBy: text('erased_by').notNull(),
  /** SHA-256 of the salt and the user id: whether a given learner was erased can be checked, no learner listed. */
  userIdHash: text('user_id_hash').notNull(),
  salt: text('salt').notNull(),
  deleted: jsonb('deleted').$type<Record<string, number>>().notNull(),
});
