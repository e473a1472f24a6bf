import { and, asc, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { assessments, chatMessages, chatSessions, messageKinds, modelCalls, sessionContexts } from './schema.js';
import { openFlagCount } from './safety-flags.js';
import type { SessionRow } from './sessions.js';

// The reads of the oversight routes (teachers and admins): across learners, filtered, aggregated in SQL.

/** Which sessions: the scope's courses (undefined: every course), and the caller's filters. */
export interface SessionFilter {
  courseIds?: number[];
  sessionId?: number;
  courseId?: number;
  topicId?: number;
  userId?: number;
  status?: SessionRow['status'];
  /** With open safety flags (true), or without (false). */
  flagged?: boolean;
  /** Started at or after `from`, before `to`. */
  from?: Date;
  to?: Date;
}

/** Tokens and what they cost; `costUsd` is null when a call had no price (a sum of the priced ones would mislead). */
export interface Spending {
  promptTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number | null;
  calls: number;
}

export interface OverseenSession extends SessionRow {
  courseTitle: string;
  topicTitle: string;
  /** The learner's messages. */
  turns: number;
  /** Safety flags not yet resolved. */
  openFlags: number;
  lastActivityAt: Date;
  spending: Spending;
}

// Sums of model calls. Both drivers answer sums and numerics as text, read as numbers here; the cost is null when any
// call had no price.
const spendingSql = {
  promptTokens: sql<number>`coalesce(sum(${modelCalls.promptTokens}), 0)::int`,
  outputTokens: sql<number>`coalesce(sum(${modelCalls.outputTokens}), 0)::int`,
  cachedTokens: sql<number>`coalesce(sum(${modelCalls.cachedTokens}), 0)::int`,
  costUsd: sql<number | null>`case when count(*) filter (where ${modelCalls.costUsd} is null) > 0 then null else coalesce(sum(${modelCalls.costUsd}), 0) end`,
  calls: sql<number>`count(*)::int`,
};

const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** The sums, as columns of a select. */
const spendingColumns = () => ({
  promptTokens: spendingSql.promptTokens.mapWith(Number),
  outputTokens: spendingSql.outputTokens.mapWith(Number),
  cachedTokens: spendingSql.cachedTokens.mapWith(Number),
  costUsd: spendingSql.costUsd.mapWith(nullableNumber),
  calls: spendingSql.calls.mapWith(Number),
});

/** The sums as a subquery's columns, which need names. */
const namedSpendingColumns = () => ({
  promptTokens: spendingSql.promptTokens.as('prompt_tokens'),
  outputTokens: spendingSql.outputTokens.as('output_tokens'),
  cachedTokens: spendingSql.cachedTokens.as('cached_tokens'),
  costUsd: spendingSql.costUsd.as('cost_usd'),
  calls: spendingSql.calls.as('calls'),
});

const readSpending = (row: Record<keyof Spending, unknown>): Spending => ({
  promptTokens: Number(row.promptTokens),
  outputTokens: Number(row.outputTokens),
  cachedTokens: Number(row.cachedTokens),
  costUsd: nullableNumber(row.costUsd),
  calls: Number(row.calls),
});

function sessionConditions(filter: SessionFilter): SQL | undefined {
  const s = chatSessions;
  return and(
    filter.courseIds === undefined ? undefined : inArray(s.courseId, filter.courseIds.length > 0 ? filter.courseIds : [-1]),
    filter.sessionId === undefined ? undefined : eq(s.id, filter.sessionId),
    filter.courseId === undefined ? undefined : eq(s.courseId, filter.courseId),
    filter.topicId === undefined ? undefined : eq(s.topicId, filter.topicId),
    filter.userId === undefined ? undefined : eq(s.userId, filter.userId),
    filter.status === undefined ? undefined : eq(s.status, filter.status),
    filter.flagged === undefined ? undefined : filter.flagged ? sql`${openFlagCount(s.id)} > 0` : sql`${openFlagCount(s.id)} = 0`,
    filter.from === undefined ? undefined : gte(s.startedAt, filter.from),
    filter.to === undefined ? undefined : lt(s.startedAt, filter.to),
  );
}

/** Sessions newest first, `limit` of them with an id below `before`: each with its turns, tokens and cost. */
export async function overseenSessions(db: Db, filter: SessionFilter, limit: number, before?: number): Promise<OverseenSession[]> {
  const s = chatSessions;
  const spent = db
    .select(namedSpendingColumns())
    .from(modelCalls)
    .where(eq(modelCalls.sessionId, s.id))
    .as('spent');
  const rows = await db
    .select({
      session: s,
      courseTitle: sessionContexts.courseTitle,
      topicTitle: sessionContexts.topicTitle,
      turns: sql<number>`(select count(*) from ${chatMessages} where ${chatMessages.sessionId} = ${s.id} and ${chatMessages.role} = 'user')::int`.mapWith(Number),
      openFlags: openFlagCount(s.id).mapWith(Number),
      lastActivityAt: sql<Date>`coalesce((select max(${chatMessages.createdAt}) from ${chatMessages} where ${chatMessages.sessionId} = ${s.id}), ${s.startedAt})`.mapWith(
        (value: Date | string) => new Date(value),
      ),
      spending: {
        promptTokens: spent.promptTokens,
        outputTokens: spent.outputTokens,
        cachedTokens: spent.cachedTokens,
        costUsd: spent.costUsd,
        calls: spent.calls,
      },
    })
    .from(s)
    .innerJoin(sessionContexts, eq(sessionContexts.sessionId, s.id))
    .leftJoinLateral(spent, sql`true`)
    .where(and(sessionConditions(filter), before === undefined ? undefined : lt(s.id, before)))
    .orderBy(desc(s.id))
    .limit(limit);
  return rows.map(({ session, spending, ...rest }) => ({ ...session, ...rest, spending: readSpending(spending) }));
}

/** Every question a session asked, in order, with its expected answer and, once answered, the grade. */
export function sessionQuestions(db: Db, sessionId: number) {
  return db.select().from(assessments).where(eq(assessments.sessionId, sessionId)).orderBy(asc(assessments.id));
}

/** A session's whole conversation, system prompt excluded, with each learner message's kind. */
export function sessionTranscriptMessages(db: Db, sessionId: number) {
  return db
    .select({ id: chatMessages.id, role: chatMessages.role, content: chatMessages.content, kind: messageKinds.kind, createdAt: chatMessages.createdAt })
    .from(chatMessages)
    .leftJoin(messageKinds, eq(messageKinds.messageId, chatMessages.id))
    .where(and(eq(chatMessages.sessionId, sessionId), sql`${chatMessages.position} > 0`))
    .orderBy(asc(chatMessages.position));
}

/** What a session's model calls cost, in total. */
/** What a learner's model calls cost, in the scope's courses. */
export async function learnerSpending(db: Db, userId: number, courseIds: number[] | undefined): Promise<Spending> {
  const [row] = await db
    .select(spendingColumns())
    .from(modelCalls)
    .where(and(eq(modelCalls.userId, userId), courseIds === undefined ? undefined : inArray(modelCalls.courseId, courseIds.length > 0 ? courseIds : [-1])));
  return row!;
}

/** Per topic: wrong answers in a learner's sessions, for their struggles. */
export function learnerTopicMistakes(db: Db, userId: number, courseIds: number[] | undefined) {
  const s = chatSessions;
  return db
    .select({
      topicId: s.topicId,
      courseId: s.courseId,
      topicTitle: sql<string>`max(${sessionContexts.topicTitle})`,
      wrong: sql<number>`count(*) filter (where ${assessments.correct} = false)::int`.mapWith(Number),
      graded: sql<number>`count(*) filter (where ${assessments.status} = 'graded')::int`.mapWith(Number),
    })
    .from(s)
    .innerJoin(sessionContexts, eq(sessionContexts.sessionId, s.id))
    .innerJoin(assessments, eq(assessments.sessionId, s.id))
    .where(sessionConditions({ userId, courseIds }))
    .groupBy(s.topicId, s.courseId)
    .orderBy(asc(s.courseId), asc(s.topicId));
}

export interface TopicFigures {
  topicId: number;
  courseId: number;
  topicTitle: string;
  started: number;
  completed: number;
  abandoned: number;
  medianTurnsToCompletion: number | null;
  medianMinutesToCompletion: number | null;
  hintRequests: number;
}

/** Per topic of the sessions the filter selects: how many started, completed and were abandoned, and how fast. */
export function topicFigures(db: Db, filter: SessionFilter): Promise<TopicFigures[]> {
  const s = chatSessions;
  // Each session's learner messages and hint requests, counted once per session.
  const counts = db
    .select({ turns: sql<number>`count(*) filter (where ${chatMessages.role} = 'user')`.as('turns') })
    .from(chatMessages)
    .where(eq(chatMessages.sessionId, s.id))
    .as('counts');
  const hints = db
    .select({ hints: sql<number>`count(*)`.as('hints') })
    .from(messageKinds)
    .where(and(eq(messageKinds.sessionId, s.id), eq(messageKinds.kind, 'hint')))
    .as('hint_counts');
  const completed = sql`${s.status} = 'completed'`;
  return db
    .select({
      topicId: s.topicId,
      courseId: s.courseId,
      topicTitle: sql<string>`max(${sessionContexts.topicTitle})`,
      started: sql<number>`count(*)::int`.mapWith(Number),
      completed: sql<number>`count(*) filter (where ${completed})::int`.mapWith(Number),
      abandoned: sql<number>`count(*) filter (where ${s.status} = 'abandoned')::int`.mapWith(Number),
      medianTurnsToCompletion: sql<number | null>`percentile_cont(0.5) within group (order by ${counts.turns}) filter (where ${completed})`.mapWith(nullableNumber),
      medianMinutesToCompletion: sql<number | null>`percentile_cont(0.5) within group (order by extract(epoch from ${s.completedAt} - ${s.startedAt}) / 60) filter (where ${completed})`.mapWith(
        nullableNumber,
      ),
      hintRequests: sql<number>`coalesce(sum(${hints.hints}), 0)::int`.mapWith(Number),
    })
    .from(s)
    .innerJoin(sessionContexts, eq(sessionContexts.sessionId, s.id))
    .leftJoinLateral(counts, sql`true`)
    .leftJoinLateral(hints, sql`true`)
    .where(sessionConditions(filter))
    .groupBy(s.topicId, s.courseId)
    .orderBy(asc(s.courseId), asc(s.topicId));
}

/** Per topic, the questions most often answered wrong: `limit` of each topic's, most wrong answers first. */
export async function mostMissedQuestions(db: Db, filter: SessionFilter, limit: number) {
  const s = chatSessions;
  const ranked = db
    .select({
      topicId: s.topicId,
      courseId: s.courseId,
      question: assessments.question,
      wrong: sql<number>`count(*) filter (where ${assessments.correct} = false)::int`.as('wrong'),
      answered: sql<number>`count(*) filter (where ${assessments.status} = 'graded')::int`.as('answered'),
      rank: sql<number>`row_number() over (partition by ${s.topicId}, ${s.courseId} order by count(*) filter (where ${assessments.correct} = false) desc, ${assessments.question})`.as(
        'rank',
      ),
    })
    .from(s)
    .innerJoin(assessments, eq(assessments.sessionId, s.id))
    .where(sessionConditions(filter))
    .groupBy(s.topicId, s.courseId, assessments.question)
    .as('ranked');
  return db
    .select({ topicId: ranked.topicId, courseId: ranked.courseId, question: ranked.question, wrong: ranked.wrong, answered: ranked.answered })
    .from(ranked)
    .where(and(sql`${ranked.rank} <= ${limit}`, sql`${ranked.wrong} > 0`))
    .orderBy(asc(ranked.courseId), asc(ranked.topicId), asc(ranked.rank));
}

export type UsageGroup = 'learner' | 'course' | 'model';

/** Tokens and cost of the model calls made from `from` (inclusive) to `to` (exclusive), per learner, course or model. */
export async function usageBy(db: Db, group: UsageGroup, range: { from?: Date; to?: Date }, limit: number, before?: number) {
  const m = modelCalls;
  const key = group === 'learner' ? m.userId : group === 'course' ? m.courseId : m.model;
  const columns = spendingColumns();
  const numericKey = group !== 'model';
  return db
    .select({ key, ...columns })
    .from(m)
    .where(
      and(
        range.from === undefined ? undefined : gte(m.createdAt, range.from),
        range.to === undefined ? undefined : lt(m.createdAt, range.to),
        numericKey && before !== undefined ? lt(key as typeof m.userId, before) : undefined,
      ),
    )
    .groupBy(key)
    .orderBy(numericKey ? desc(key) : asc(key))
    .limit(numericKey ? limit : 10_000);
}
