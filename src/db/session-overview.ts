import { eq, sql } from 'drizzle-orm';
import { unionAll } from 'drizzle-orm/pg-core';
import type { TokenUsage } from '../llm/llm.js';
import { preparedFor, type Db } from './client.js';
import type { OutboxRow } from './outbox.js';
import { assessments, chatMessages, chatSessions, objectiveMastery, outbox, sessionContexts } from './schema.js';
import type { MasteryRecord } from '../tutoring/mastery.js';
import type { QuestionState } from './assessments.js';
import type { ContextRow, SessionRow } from './sessions.js';

export interface SessionOverview {
  session: SessionRow;
  context: ContextRow;
  /** Tokens the session has cost: its tutor replies plus its grading calls. */
  usage: TokenUsage;
  /** Delivery of its completion notice to the .NET backend; null when none is queued. */
  progressSync: OutboxRow['status'] | null;
  /** Its questions' states, in the order they were asked: what its progress is computed from. */
  questions: QuestionState[];
  /** The tutor's opening, the conversation's first message. */
  initialMessage: string;
  /** The learner's mastery records of the topic's objectives. */
  mastery: MasteryRecord[];
}

// Read on every GET of a session: one statement, built once, instead of five.
const overview = preparedFor((db) => {
  const sessionId = sql.placeholder('sessionId');
  const tokens = (table: typeof chatMessages | typeof assessments) =>
    db
      .select({ prompt: table.promptTokens, output: table.outputTokens, cached: table.cachedTokens })
      .from(table)
      .where(eq(table.sessionId, sessionId));
  const spentRows = unionAll(tokens(chatMessages), tokens(assessments)).as('spent_rows');
  // An aggregate without GROUP BY: exactly one row, zeros for a session that has cost nothing yet.
  const spent = db
    .select({
      promptTokens: sql<number>`coalesce(sum(${spentRows.prompt}), 0)::int`.as('prompt_tokens'),
      outputTokens: sql<number>`coalesce(sum(${spentRows.output}), 0)::int`.as('output_tokens'),
      cachedTokens: sql<number>`coalesce(sum(${spentRows.cached}), 0)::int`.as('cached_tokens'),
    })
    .from(spentRows)
    .as('spent');
  return db
    .select({
      session: chatSessions,
      context: sessionContexts,
      usage: { promptTokens: spent.promptTokens, outputTokens: spent.outputTokens, cachedTokens: spent.cachedTokens },
      progressSync: outbox.status,
      initialMessage: sql<string>`coalesce((
        select ${chatMessages.content} from ${chatMessages} where ${chatMessages.sessionId} = ${chatSessions.id} and ${chatMessages.position} = 1
      ), '')`,
      // A handful of rows, as one JSON array (both drivers parse json): the GET then reads the session in two
      // statements, this one and the conversation.
      questions: sql<QuestionState[]>`coalesce((
        select json_agg(json_build_object('status', ${assessments.status}, 'correct', ${assessments.correct}) order by ${assessments.id})
        from ${assessments} where ${assessments.sessionId} = ${chatSessions.id}
      ), '[]'::json)`,
      mastery: sql<MasteryRecord[]>`coalesce((
        select json_agg(json_build_object('objectiveId', ${objectiveMastery.objectiveId}, 'probability', ${objectiveMastery.probability},
          'attempts', ${objectiveMastery.attempts}, 'correct', ${objectiveMastery.correct}))
        from ${objectiveMastery} where ${objectiveMastery.userId} = ${chatSessions.userId} and ${objectiveMastery.topicId} = ${chatSessions.topicId}
      ), '[]'::json)`,
    })
    .from(chatSessions)
    .innerJoin(sessionContexts, eq(sessionContexts.sessionId, chatSessions.id))
    .crossJoin(spent)
    .leftJoin(outbox, eq(outbox.sessionId, chatSessions.id))
    .where(eq(chatSessions.id, sessionId))
    .prepare('session_overview');
});

/**
 * The session, its context, what it has cost, where its completion notice is and its questions' states; undefined
 * when it does not exist.
 */
export async function sessionOverview(db: Db, sessionId: number): Promise<SessionOverview | undefined> {
  const [row] = await overview(db).execute({ sessionId });
  return row;
}
