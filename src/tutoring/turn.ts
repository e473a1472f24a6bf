import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.js';
import { insertAssessment, recordGrade, sessionAssessments, skipAssessment, type AssessmentRow } from '../db/assessments.js';
import { conversationFacts, insertMessages, recentConversation, type MessageRow } from '../db/messages.js';
import {
  acquireTurnLease,
  completeSession,
  findSessionWithContext,
  lockSession,
  releaseTurnLease,
  type ContextRow,
  type SessionRow,
} from '../db/sessions.js';
import { AppError } from '../errors.js';
import type { ConversationMessage, Grade, TurnFacts } from '../llm/llm.js';
import { classifyReply } from './answers.js';
import { guardLlm, type TutorContext } from './ask-tutor.js';
import { historyWindow } from './history.js';
import { neutralizeMarker } from './marker-filter.js';
import { nextBankQuestion } from './questions.js';
import { withBankDetails } from './reply.js';
import { assessmentFacts, bankQuestionFacts, newAssessment, sessionProgress, topicFromSnapshot, type SessionProgress } from './session-state.js';

export interface TurnResult {
  sessionId: number;
  learnerMessage: MessageRow;
  reply: MessageRow;
  topicCompleted: boolean;
  progress: SessionProgress;
}

export interface PreparedTurn {
  /** Makes the turn: grading, the tutor's reply (text passed to `onText` as it arrives), one transaction. */
  run(onText?: (text: string) => void): Promise<TurnResult>;
}

/** What a turn reads before it calls the LLM. */
interface TurnInputs {
  session: SessionRow;
  context: ContextRow;
  system: string;
  history: ConversationMessage[];
  asked: AssessmentRow[];
  lastIdBefore: number | null;
}

/**
 * Refuses a turn the session cannot take (404, 409) before anything is streamed, takes the session's turn
 * lease so that one turn at a time runs on it, across instances, and reads what the turn needs.
 */
export async function prepareTurn(context: TutorContext, sessionId: number, message: string, ownerId?: number): Promise<PreparedTurn> {
  const { db, config, log } = context;
  const found = await findOwnedSession(db, sessionId, ownerId);
  if (found.session.status !== 'active') throw notActive(found.session);
  const giveBackSlot = context.slots.take();
  const lease = randomUUID();
  const acquired = await acquireTurnLease(db, sessionId, lease, config.turnLeaseMs).catch((error: unknown) => {
    giveBackSlot();
    throw error;
  });
  if (!acquired) {
    giveBackSlot();
    throw new AppError('turn_in_progress', 'Another message to this session is being answered; wait for its reply, then send again.');
  }
  // A turn that commits gives the lease back in its transaction; one that fails gives it back here.
  const release = async () => {
    giveBackSlot();
    await releaseTurnLease(db, sessionId, lease).catch((error: unknown) => log.warn({ err: error, sessionId }, 'turn lease not released'));
  };
  try {
    const inputs = await readTurnInputs(context, found);
    return {
      run: (onText) =>
        runTurn(context, inputs, message, lease, onText).then(
          (result) => {
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

async function readTurnInputs(context: TutorContext, found: { session: SessionRow; context: ContextRow }): Promise<TurnInputs> {
  const { db, config } = context;
  const sessionId = found.session.id;
  const [{ system, length: total, lastId: lastIdBefore }, recent, asked] = await Promise.all([
    conversationFacts(db, sessionId),
    recentConversation(db, sessionId, config.maxConversationHistory),
    sessionAssessments(db, sessionId),
  ]);
  if (system === undefined) throw new Error(`Session ${sessionId} has no system prompt`);
  const askedBy = new Map(asked.map((assessment) => [assessment.questionMessageId, assessment]));
  const history: ConversationMessage[] = historyWindow(recent, total, config.maxConversationHistory).map((row) => {
    if (row.role === 'user') return { role: 'user', content: neutralizeMarker(row.content, config.completionMarker) };
    const question = askedBy.get(row.id);
    return { role: 'assistant', content: row.content, askedQuestion: question && assessmentFacts(question) };
  });
  return { ...found, system, history, asked, lastIdBefore };
}

async function runTurn(context: TutorContext, inputs: TurnInputs, message: string, lease: string, onText?: (text: string) => void): Promise<TurnResult> {
  const { db, llm, config, rule, log, curriculum } = context;
  const { session, asked } = inputs;
  const sessionId = session.id;
  const topic = topicFromSnapshot(session, inputs.context);
  const graded = config.completionPolicy === 'graded';

  const pending = graded ? asked.findLast((assessment) => assessment.status === 'pending') : undefined;
  const pendingQuestion = pending ? assessmentFacts(pending) : undefined;
  const kind = pending ? classifyReply(message, pending.acceptedAnswers) : 'question';
  const grade: Grade | undefined =
    pendingQuestion && kind === 'answer' ? await guardLlm(log, llm, () => llm.grade({ question: pendingQuestion, answer: message })) : undefined;
  const progressBefore = sessionProgress(asked, rule, grade?.correct);
  const passedByGrade = grade !== undefined && progressBefore.passed;
  const turn: TurnFacts = {
    kind,
    topic,
    rule,
    learner: { level: inputs.context.userLevel, completedTopics: inputs.context.completedTopics, struggles: inputs.context.struggles },
    pendingQuestion,
    grade,
    progress: progressBefore,
    suggestedQuestion:
      graded && !passedByGrade && (grade !== undefined || !pending)
        ? bankQuestionFacts(nextBankQuestion(topic.questions, asked.map((assessment) => assessment.question)))
        : undefined,
  };

  const reply = await context.ask(
    { system: inputs.system, history: inputs.history, learnerMessage: neutralizeMarker(message, config.completionMarker), turn, askQuestionTool: graded },
    onText,
  );
  const completes = graded ? passedByGrade : reply.markerSeen;
  const newQuestion = graded && reply.question && !passedByGrade ? withBankDetails(reply.question, topic.questions) : undefined;

  return db.transaction(async (tx) => {
    const found = await lockSession(tx, sessionId);
    if (!found) throw new AppError('session_not_found', `Session ${sessionId} does not exist.`);
    const locked = found.session;
    if (locked.status !== 'active') throw notActive(locked);
    // The lease keeps turns apart; this catches a turn whose lease ran out while another went ahead.
    if (found.lastMessageId !== inputs.lastIdBefore) {
      throw new AppError('turn_conflict', 'Another message to this session was answered meanwhile; reload the session and resend.');
    }
    const [learnerMessage, tutorMessage] = await insertMessages(tx, sessionId, [
      { role: 'user', content: message },
      { role: 'assistant', content: reply.text, ...reply.usage },
    ]);
    const now = tutorMessage!.createdAt;
    if (pending && grade) {
      await recordGrade(tx, pending.id, {
        learnerAnswer: message,
        correct: grade.correct,
        feedback: grade.feedback,
        answerMessageId: learnerMessage!.id,
        gradedAt: now,
        ...(grade.usage ?? { promptTokens: null, outputTokens: null, cachedTokens: null }),
      });
    }
    const skipsPending = newQuestion !== undefined && pending !== undefined && !grade;
    if (skipsPending) await skipAssessment(tx, pending.id);
    if (newQuestion) await insertAssessment(tx, newAssessment(sessionId, newQuestion, tutorMessage!.id));
    if (completes) {
      await completeSession(tx, sessionId, now);
      const { userId, courseId, topicId } = locked;
      await curriculum.recordCompletion(tx, { userId, courseId, topicId, sessionId, completedAt: now });
    }
    await releaseTurnLease(tx, sessionId, lease);
    // The session's assessments as this transaction leaves them: the grade is in progressBefore already.
    const progress = { ...progressBefore, asked: progressBefore.asked - (skipsPending ? 1 : 0) + (newQuestion ? 1 : 0) };
    return { sessionId, learnerMessage: learnerMessage!, reply: tutorMessage!, topicCompleted: completes, progress };
  });
}

/** The session with its context; 404 when it does not exist or, with `ownerId`, belongs to someone else. */
export async function findOwnedSession(db: Db, sessionId: number, ownerId: number | undefined) {
  const found = await findSessionWithContext(db, sessionId);
  if (!found || (ownerId !== undefined && found.session.userId !== ownerId)) {
    throw new AppError('session_not_found', `Session ${sessionId} does not exist.`);
  }
  return found;
}

function notActive(session: SessionRow): AppError {
  return new AppError('session_not_active', `Session ${session.id} is ${session.status}; it takes no more messages.`);
}
