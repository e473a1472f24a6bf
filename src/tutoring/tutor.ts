import type { Logger } from 'pino';
import type { TutoringConfig } from '../config.js';
import type { CompletionRecorder, Curriculum } from '../curriculum/curriculum.js';
import type { Db, Transact } from '../db/client.js';
import { insertAssessment } from '../db/assessments.js';
import { insertMessages, lastTurnMessages, visibleMessages, type MessagePage, type MessageRow, type VisibleMessage } from '../db/messages.js';
import { abandonSession, insertSession, userSessions, type SessionRow } from '../db/sessions.js';
import { sessionOverview, type SessionOverview } from '../db/session-overview.js';
import { AppError } from '../errors.js';
import { createAsk, type TutorContext } from './ask-tutor.js';
import { assessProgress, type PassRule } from './completion.js';
import { buildSystemPrompt } from './prompt.js';
import { questionFor } from './questions.js';
import { masteryParams, objectiveStanding, weakestObjective } from './mastery.js';
import { topicMastery } from '../db/mastery.js';
import { withBankDetails } from './reply.js';
import { bankQuestionFacts, contextSnapshot, newAssessment, sessionObjectives, sessionProgress, type SessionProgress } from './session-state.js';
import { findOwnedSession, ownedOrNotFound, prepareTurn, type TurnResult } from './turn.js';
import type { TutorEngine } from './tutor-engine.js';
import { createTurnSlots } from './turn-slots.js';
import type { Budgets } from '../usage/budgets.js';
import type { ModelCall, ModelCallLog } from '../usage/model-calls.js';
import type { FlagRecorder } from '../safety/flag-recorder.js';
import type { Moderation } from '../safety/moderation.js';

export interface TutorDeps {
  db: Db;
  transaction: Transact;
  engine: TutorEngine;
  curriculum: Curriculum;
  /** Where a completed topic is recorded, in the completing turn's transaction. */
  completions: CompletionRecorder;
  /** Where each model call is recorded, with its cost. */
  modelCalls: ModelCallLog;
  /** Daily token budgets, checked before a turn calls a model. */
  budgets: Budgets;
  /** The moderation step every learner message passes before any model sees it. */
  moderation: Moderation;
  /** Where the risks it finds are stored (and told to the platform). */
  flags: FlagRecorder;
  config: TutoringConfig;
  log: Logger;
}

export interface StartedSession {
  session: SessionRow;
  initialMessage: MessageRow;
  /** The language it teaches in (BCP 47). */
  language: string;
}

export interface SessionDetails extends Omit<SessionOverview, 'questions' | 'mastery'> {
  messages: VisibleMessage[];
  /** With a page: the id to read the page before it from; null when it is the first. */
  nextBefore: number | null;
  progress: SessionProgress;
}

export type Tutor = ReturnType<typeof createTutor>;
/** The tutoring use case: the one place that coordinates the database, the curriculum and the LLM. */
export function createTutor(deps: TutorDeps) {
  const { db, curriculum, config, log } = deps;
  const rule: PassRule = { passCorrect: config.passCorrect, questionCount: config.questionCount, masteryThreshold: config.masteryThreshold };

  const ask = createAsk(deps);
  const slots = createTurnSlots(config.maxConcurrentTurns);
  const context: TutorContext = { ...deps, rule, ask, slots };

  return {
    /** Starts a session; `commitWith` runs in the transaction that creates it (an idempotent request's answer). */
    async startSession(
      input: { userId: number; courseId: number; topicId: number; language?: string },
      commitWith?: (tx: Db, started: StartedSession) => Promise<void>,
    ): Promise<StartedSession> {
      const topic = await curriculum.findTopic(input.topicId);
      if (!topic) throw new AppError('topic_not_found', `Topic ${input.topicId} does not exist.`);
      if (topic.courseId !== input.courseId) {
        throw new AppError('course_not_found', `Topic ${input.topicId} is not part of course ${input.courseId}.`);
      }
      const [learner, records] = await Promise.all([curriculum.learnerContext(input.userId), topicMastery(db, input.userId, topic.id)]);
      // The request's language, the learner's (from .NET), the course's, then the deployment's default.
      const language = input.language ?? learner.language ?? topic.language ?? config.defaultLanguage;
      const standing = objectiveStanding(topic.objectives, records, masteryParams(topic.mastery));
      const graded = config.completionPolicy === 'graded';
      // The opening's question checks the learner's weakest objective (from earlier sessions, or the first).
      const target = graded ? weakestObjective(standing) : undefined;
      const prompt = buildSystemPrompt({ topic, learner, rule, completionMarker: config.completionMarker, language });
      if (prompt.warning) log.warn({ topicId: topic.id }, prompt.warning);

      if (deps.engine.usesModel) await deps.budgets.check(input.userId);
      const giveBackSlot = slots.take();
      const reply = await ask({
        system: prompt.text,
        history: [],
        mayAsk: graded,
        graded,
        turn: {
          kind: 'opening',
          topic,
          learner,
          rule,
          progress: assessProgress([], rule),
          language,
          targetObjective: target,
          suggestedQuestion: graded ? bankQuestionFacts(questionFor(topic.questions, [], target)) : undefined,
        },
      }).finally(giveBackSlot);
      const calls: ModelCall[] = deps.engine.usesModel ? [{ kind: 'tutor', model: deps.engine.model, usage: reply.usage }] : [];

      return deps.transaction(async (tx) => {
        const session = await insertSession(tx, input, contextSnapshot(topic, learner, language));
        const [, opening] = await insertMessages(tx, session.id, [
          { role: 'system', content: prompt.text },
          { role: 'assistant', content: reply.text, ...reply.usage },
        ]);
        if (graded && reply.question) {
          await insertAssessment(tx, newAssessment(session.id, withBankDetails(reply.question, topic), opening!.id));
        }
        await deps.modelCalls.record(tx, session, calls);
        const started = { session, initialMessage: opening!, language };
        await commitWith?.(tx, started);
        return started;
      }).then((started) => {
        deps.modelCalls.saved(calls);
        return started;
      });
    },

    /**
     * Checks that the session can take a message (404, 409 otherwise); `run` then makes the turn.
     * With `ownerId`, another user's session is answered as not found: its existence is not revealed.
     */
    prepareTurn: (sessionId: number, message: string, ownerId?: number) => prepareTurn(context, sessionId, message, ownerId),

    /** Ends an active session early; 409 when it is already completed or abandoned. */
    async abandonSession(sessionId: number, ownerId?: number): Promise<SessionRow> {
      const found = await findOwnedSession(db, sessionId, ownerId);
      const abandoned = await abandonSession(db, sessionId);
      if (!abandoned) {
        throw new AppError('session_not_active', `Session ${sessionId} is ${found.session.status}; only an active session can be abandoned.`);
      }
      return abandoned;
    },

    listSessions: (userId: number, limit: number, before?: number) => userSessions(db, userId, limit, before),

    /** The session with its conversation, whole or (with `page.limit`) its newest messages before `page.before`. */
    async getSession(sessionId: number, ownerId?: number, page: MessagePage = {}): Promise<SessionDetails> {
      // Both at once, the conversation first (the longer read): a session the caller may not see costs the
      // conversation's read for nothing, and every other GET a round trip less.
      const [read, overview] = await Promise.all([visibleMessages(db, sessionId, page), sessionOverview(db, sessionId)]);
      const { questions, mastery, ...shown } = ownedOrNotFound(overview, sessionId, ownerId);
      const progress = asCompleted(shown.session, sessionProgress(questions, rule, sessionObjectives(shown.context, mastery)));
      return { ...shown, messages: read.messages, nextBefore: read.nextBefore, progress };
    },

    /**
     * The session's latest turn as its reply ended, from what was saved: its messages, whether it completed the
     * topic, and the progress it left. Undefined when the session has had no turn yet.
     */
    async lastTurn(sessionId: number, ownerId?: number): Promise<TurnResult | undefined> {
      const [overview, turn] = await Promise.all([sessionOverview(db, sessionId), lastTurnMessages(db, sessionId)]);
      const { session, context, questions, mastery } = ownedOrNotFound(overview, sessionId, ownerId);
      if (!turn) return undefined;
      // A completed session takes no more turns: its latest one completed it.
      const topicCompleted = session.status === 'completed';
      const progress = asCompleted(session, sessionProgress(questions, rule, sessionObjectives(context, mastery)));
      return { sessionId, learnerMessage: turn.learner, reply: turn.reply, topicCompleted, progress };
    },

    /** Resolves when no LLM call is in progress (every started session and turn has saved or failed). */
    idle: () => slots.idle(),
  };
}

/**
 * A completed session's progress is passed, whatever the learner's mastery has become since (it is read as it is now,
 * and later answers in other sessions move it) or the gate's setting then.
 */
function asCompleted(session: SessionRow, progress: SessionProgress): SessionProgress {
  return session.status === 'completed' ? { ...progress, passed: true } : progress;
}
