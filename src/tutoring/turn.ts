import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.js';
import { insertAssessment, recordGrade, sessionAssessments, type AssessmentRow } from '../db/assessments.js';
import { recentConversation, saveTurnMessages, systemPrompt, type MessageRow } from '../db/messages.js';
import {
  completeSession,
  findSessionWithContext,
  leaseSessionForTurn,
  releaseTurnLease,
  renewTurnLease,
  type ContextRow,
  type SessionRow,
} from '../db/sessions.js';
import { AppError } from '../errors.js';
import { keepRenewing } from '../renewal.js';
import type { ModelCall } from '../usage/model-calls.js';
import { classifyReply, equalsAcceptedAnswer } from './answers.js';
import { guardLlm, type TutorContext } from './ask-tutor.js';
import { historyWindow } from './history.js';
import { questionFor } from './questions.js';
import { afterAnswer, masteryParams, objectiveStanding, weakestObjective, type MasteryRecord } from './mastery.js';
import { recordMasteryAnswer, topicMastery } from '../db/mastery.js';
import { neutralizeLearnerText } from './reply-filter.js';
import { withBankDetails, type CollectedReply } from './reply.js';
import type { ConversationMessage, Grade, QuestionFacts, TurnFacts } from './tutor-engine.js';
import { assessmentFacts, bankQuestionFacts, newAssessment, sessionProgress, topicFromSnapshot, type SessionProgress } from './session-state.js';

export interface TurnResult {
  sessionId: number;
  learnerMessage: MessageRow;
  reply: MessageRow;
  topicCompleted: boolean;
  progress: SessionProgress;
}

/** Written in the transaction that saves the turn, so that it commits with it (an idempotent request's answer). */
export type CommitWith = (tx: Db, result: TurnResult) => Promise<void>;

export interface PreparedTurn {
  /** The token under which this turn holds the session: while the session's lease is live under it, the turn goes on. */
  lease: string;
  /**
   * Makes the turn: grading, the tutor's reply (text passed to `onText` as it arrives), one transaction, in which
   * `commitWith` runs too when given.
   */
  run(onText?: (text: string) => void, commitWith?: CommitWith): Promise<TurnResult>;
}

/** What a turn reads before it calls the LLM. */
interface TurnInputs {
  session: SessionRow;
  context: ContextRow;
  system: string;
  history: ConversationMessage[];
  asked: AssessmentRow[];
  /** The learner's mastery records of the topic's objectives. */
  mastery: MasteryRecord[];
}

/**
 * Refuses a turn the session cannot take (404, 409) before anything is streamed, takes the session's turn
 * lease so that one turn at a time runs on it, across instances, and reads what the turn needs. The lease is
 * renewed while the turn runs: if this process dies, it lapses within TURN_LEASE_TTL_SECONDS and the session takes
 * messages again.
 */
export async function prepareTurn(context: TutorContext, sessionId: number, message: string, ownerId?: number): Promise<PreparedTurn> {
  const { db, config, log } = context;
  const lease = randomUUID();
  const found = await leaseSessionForTurn(db, sessionId, ownerId, { token: lease, leaseMs: config.turnLeaseMs, maxMessages: config.maxSessionMessages });
  if (!found) throw await whyNotLeased(context, sessionId, ownerId);
  const stopRenewing = keepRenewing(() => renewTurnLease(db, sessionId, lease, config.turnLeaseMs), config.turnLeaseMs / 3, (error) =>
    log.warn({ err: error, sessionId }, 'turn lease not renewed'),
  );
  // A turn that saves gives the lease back with its messages; one that fails, or is refused here, gives it back now.
  let giveBackSlot = () => {};
  const release = async () => {
    stopRenewing();
    giveBackSlot();
    await releaseTurnLease(db, sessionId, lease).catch((error: unknown) => log.warn({ err: error, sessionId }, 'turn lease not released'));
  };
  try {
    if (context.engine.usesModel) await context.budgets.check(found.session.userId);
    giveBackSlot = context.slots.take();
    const inputs = await readTurnInputs(context, found);
    return {
      lease,
      run: (onText, commitWith) =>
        runTurn(context, inputs, message, lease, onText, commitWith).then(
          (result) => {
            stopRenewing();
            giveBackSlot();
            return result;
          },
          async (error: unknown) => {
            await release();
            throw error;
          },
        ),
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Why a session could not be taken for a turn: 404, 409 not active or too long, or 409 another turn holds it. */
async function whyNotLeased({ db, config }: TutorContext, sessionId: number, ownerId: number | undefined): Promise<AppError> {
  const { session } = await findOwnedSession(db, sessionId, ownerId);
  if (session.status !== 'active') return notActive(session);
  if (session.conversationLength + 2 > config.maxSessionMessages) {
    return new AppError(
      'session_too_long',
      `Session ${sessionId} holds ${session.conversationLength} messages, the most a session takes is ${config.maxSessionMessages}: start a new session to go on.`,
    );
  }
  return new AppError('turn_in_progress', 'Another message to this session is being answered; wait for its reply, then send again.');
}

async function readTurnInputs(context: TutorContext, found: { session: SessionRow; context: ContextRow }): Promise<TurnInputs> {
  const { db, config } = context;
  const sessionId = found.session.id;
  const [system, recent, asked, mastery] = await Promise.all([
    systemPrompt(db, sessionId),
    recentConversation(db, sessionId, config.maxConversationHistory),
    sessionAssessments(db, sessionId),
    found.context.objectives.length > 0 ? topicMastery(db, found.session.userId, found.session.topicId) : [],
  ]);
  if (system === undefined) throw new Error(`Session ${sessionId} has no system prompt`);
  const askedBy = new Map(asked.map((assessment) => [assessment.questionMessageId, assessment]));
  const history: ConversationMessage[] = historyWindow(recent, found.session.conversationLength, config.maxConversationHistory).map((row) => {
    if (row.role === 'user') return { role: 'user', content: neutralizeLearnerText(context.moderation.redact(row.content), config.completionMarker) };
    const question = askedBy.get(row.id);
    return { role: 'assistant', content: row.content, askedQuestion: question && assessmentFacts(question) };
  });
  return { ...found, system, history, asked, mastery };
}

async function runTurn(
  context: TutorContext,
  inputs: TurnInputs,
  message: string,
  lease: string,
  onText?: (text: string) => void,
  commitWith?: CommitWith,
): Promise<TurnResult> {
  const { config, rule, completions } = context;
  const { session, asked } = inputs;
  const sessionId = session.id;
  const topic = topicFromSnapshot(session, inputs.context);
  const graded = config.completionPolicy === 'graded';

  // The moderation step, before any model sees the message: its risks, and the message as models may see it.
  const safety = await context.moderation.assess(message);
  const forModels = neutralizeLearnerText(safety.forModels, config.completionMarker);
  // A message that says the learner may harm themself gets the fixed reply: no model call, no grade, no question.
  const usesModel = context.engine.usesModel && !safety.endsTurn;

  const pending = graded ? asked.findLast((assessment) => assessment.status === 'pending') : undefined;
  const pendingQuestion = pending ? assessmentFacts(pending) : undefined;
  const kind = safety.endsTurn ? null : pending ? classifyReply(message, pending.acceptedAnswers) : 'question';
  const grade = pendingQuestion && kind === 'answer' ? await gradeAnswer(context, pendingQuestion, message, forModels) : undefined;
  // A graded answer to a question that checks one of the topic's objectives updates the learner's mastery of it.
  const params = masteryParams(inputs.context.masteryParams);
  const standingBefore = objectiveStanding(inputs.context.objectives, inputs.mastery, params);
  const gradedObjective = grade && standingBefore.find((entry) => entry.objective.id === pending?.objective)?.objective;
  const standing = gradedObjective ? afterAnswer(standingBefore, gradedObjective.id, grade.correct, params) : standingBefore;
  const progressBefore = sessionProgress(asked, rule, standing, grade?.correct);
  const passedByGrade = grade !== undefined && progressBefore.passed;
  // A question is asked when none will be pending after this reply, unless the reply completes the topic.
  const mayAsk = graded && !safety.endsTurn && !passedByGrade && (grade !== undefined || !pending);
  const target = mayAsk ? weakestObjective(standing) : undefined;
  const turn: TurnFacts = {
    kind: kind ?? 'question',
    topic,
    rule,
    learner: { level: inputs.context.userLevel, completedTopics: inputs.context.completedTopics, struggles: inputs.context.struggles },
    pendingQuestion,
    grade,
    progress: progressBefore,
    language: inputs.context.language,
    targetObjective: target,
    suggestedQuestion: mayAsk ? bankQuestionFacts(questionFor(topic.questions, asked.map((assessment) => assessment.question), target)) : undefined,
  };

  const reply = safety.endsTurn
    ? supportiveReply(context.moderation.config.selfHarmReply, onText)
    : await context.ask({ system: inputs.system, history: inputs.history, learnerMessage: forModels, turn, mayAsk, graded }, onText);
  const completes = graded ? passedByGrade : reply.markerSeen;
  const newQuestion = mayAsk && reply.question ? withBankDetails(reply.question, topic) : undefined;
  const { engine } = context;
  const calls: ModelCall[] = usesModel
    ? [...(grade?.usage ? [{ kind: 'grader' as const, model: engine.graderModel, usage: grade.usage }] : []), { kind: 'tutor', model: engine.model, usage: reply.usage }]
    : [];

  const save = async (writer: Db): Promise<TurnResult> => {
    const saved = await saveTurnMessages(writer, sessionId, lease, [
      { role: 'user', content: message, kind },
      { role: 'assistant', content: reply.text, ...reply.usage },
    ]);
    if (!saved) throw await whyNotSaved(writer, sessionId);
    const [learnerMessage, tutorMessage] = saved;
    const now = tutorMessage!.createdAt;
    if (pending && grade) {
      await recordGrade(writer, pending.id, {
        learnerAnswer: message,
        correct: grade.correct,
        feedback: grade.feedback,
        answerMessageId: learnerMessage!.id,
        gradedAt: now,
        ...(grade.usage ?? { promptTokens: null, outputTokens: null, cachedTokens: null }),
      });
    }
    if (newQuestion) await insertAssessment(writer, newAssessment(sessionId, newQuestion, tutorMessage!.id));
    if (gradedObjective && grade) {
      const { userId, courseId, topicId } = session;
      await recordMasteryAnswer(writer, { userId, courseId, topicId, objectiveId: gradedObjective.id }, grade.correct, params);
    }
    await context.flags.record(writer, session, learnerMessage!.id, safety.flags);
    await context.modelCalls.record(writer, session, calls);
    if (completes) {
      await completeSession(writer, sessionId, now);
      const { userId, courseId, topicId } = session;
      await completions.record(writer, { userId, courseId, topicId, sessionId, completedAt: now });
    }
    // The session's assessments as this turn leaves them: the grade is in progressBefore already.
    const progress = { ...progressBefore, asked: progressBefore.asked + (newQuestion ? 1 : 0) };
    const result = { sessionId, learnerMessage: learnerMessage!, reply: tutorMessage!, topicCompleted: completes, progress };
    await commitWith?.(writer, result);
    return result;
  };
  // A turn that only adds its two messages is one statement. One that also grades, asks, completes, records model
  // calls or an idempotent answer writes it all in one transaction, whose first statement locks the session's row.
  const inOneTransaction = (pending && grade) || newQuestion || completes || commitWith || calls.length > 0 || safety.flags.length > 0;
  const saved = await (inOneTransaction ? context.transaction(save) : save(context.db));
  context.modelCalls.saved(calls);
  return saved;
}

/**
 * The grade of an answer to the pending question. An answer that is, once normalized, one of a bank question's
 * accepted answers is correct without asking a model; any other goes to the isolated grader.
 */
async function gradeAnswer({ engine, log }: TutorContext, question: QuestionFacts, answer: string, forModels: string): Promise<Grade> {
  if (equalsAcceptedAnswer(answer, question.acceptedAnswers)) return { correct: true, feedback: `Yes, "${question.expectedAnswer}" is right.` };
  return guardLlm(log, engine, () => engine.grade(question, forModels));
}

/** The fixed reply to a message that says the learner may harm themself, shown as a model's would be. */
function supportiveReply(text: string, onText?: (text: string) => void): CollectedReply {
  onText?.(text);
  return { text, usage: { promptTokens: 0, outputTokens: 0, cachedTokens: 0 }, finishReason: 'safety', markerSeen: false };
}

/** Why a turn's messages were not saved: the session is gone or no longer active, or the turn lost its lease. */
async function whyNotSaved(db: Db, sessionId: number): Promise<AppError> {
  const found = await findSessionWithContext(db, sessionId);
  if (!found) return new AppError('session_not_found', `Session ${sessionId} does not exist.`);
  if (found.session.status !== 'active') return notActive(found.session);
  // The lease ran out while the LLM answered, and another turn took the session.
  return new AppError('turn_conflict', 'Another message to this session was answered meanwhile; reload the session and resend.');
}

/** The session with its context; 404 when it does not exist or, with `ownerId`, belongs to someone else. */
export async function findOwnedSession(db: Db, sessionId: number, ownerId: number | undefined) {
  return ownedOrNotFound(await findSessionWithContext(db, sessionId), sessionId, ownerId);
}

/** `found` when it exists and, with `ownerId`, is that learner's; otherwise 404, alike for both. */
export function ownedOrNotFound<T extends { session: SessionRow }>(found: T | undefined, sessionId: number, ownerId: number | undefined): T {
  if (!found || (ownerId !== undefined && found.session.userId !== ownerId)) {
    throw new AppError('session_not_found', `Session ${sessionId} does not exist.`);
  }
  return found;
}

function notActive(session: SessionRow): AppError {
  return new AppError('session_not_active', `Session ${session.id} is ${session.status}; it takes no more messages.`);
}
