import type { Logger } from 'pino';
import type { TutoringConfig } from '../config.js';
import type { BankQuestion, Curriculum, LearnerContext, Topic } from '../curriculum/curriculum.js';
import type { Db } from '../db/client.js';
import { insertAssessment, recordGrade, sessionAssessments, skipAssessment, type AssessmentRow } from '../db/assessments.js';
import { insertMessages, lastMessageId, recentConversation, systemPrompt, visibleMessages, type MessageRow } from '../db/messages.js';
import {
  completeSession,
  findSessionWithContext,
  insertSession,
  lockSession,
  type ContextRow,
  type SessionRow,
} from '../db/sessions.js';
import { AppError } from '../errors.js';
import { collectReply, type Grade, type LlmProvider, type QuestionFacts, type TutorReply, type TutorRequest } from '../llm/llm.js';
import { classifyReply, stripMarker } from './answers.js';
import { assessProgress, type PassRule } from './completion.js';
import { buildSystemPrompt } from './prompt.js';
import { nextBankQuestion } from './questions.js';

export interface TutorDeps {
  db: Db;
  llm: LlmProvider;
  curriculum: Curriculum;
  config: TutoringConfig;
  log: Logger;
}

export interface StartedSession {
  session: SessionRow;
  initialMessage: MessageRow;
}

export interface TurnResult {
  sessionId: number;
  reply: MessageRow;
  topicCompleted: boolean;
}

export interface SessionDetails {
  session: SessionRow;
  context: ContextRow;
  messages: MessageRow[];
}

export type Tutor = ReturnType<typeof createTutor>;

/** The tutoring use case: the one place that coordinates the database, the curriculum and the LLM. */
export function createTutor({ db, llm, curriculum, config, log }: TutorDeps) {
  const rule: PassRule = { passCorrect: config.passCorrect, questionCount: config.questionCount };

  /** Asks the tutor for a reply. The LLM is called outside any transaction: no lock is held while it thinks. */
  async function tutorReply(request: TutorRequest): Promise<TutorReply> {
    const reply = await guardLlm(() => collectReply(llm.respond(request)));
    return { ...reply, text: stripMarker(reply.text, config.completionMarker) };
  }

  async function guardLlm<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppError) throw error;
      log.error({ err: error, provider: llm.name }, 'LLM call failed');
      throw new AppError('dependency_unavailable', 'The tutor is unavailable right now; nothing was saved, please try again.');
    }
  }

  return {
    async startSession(input: { userId: number; courseId: number; topicId: number }): Promise<StartedSession> {
      const topic = await curriculum.findTopic(input.topicId);
      if (!topic) throw new AppError('topic_not_found', `Topic ${input.topicId} does not exist.`);
      if (topic.courseId !== input.courseId) {
        throw new AppError('course_not_found', `Topic ${input.topicId} is not part of course ${input.courseId}.`);
      }
      const learner = await curriculum.learnerContext(input.userId);
      const prompt = buildSystemPrompt({ topic, learner, rule, completionMarker: config.completionMarker });
      if (prompt.warning) log.warn({ topicId: topic.id }, prompt.warning);

      const reply = await tutorReply({
        system: prompt.text,
        history: [],
        turn: {
          kind: 'opening',
          topic,
          learner,
          progress: assessProgress([], rule),
          suggestedQuestion: questionFacts(nextBankQuestion(topic.questions, [])),
        },
      });

      return db.transaction(async (tx) => {
        const session = await insertSession(tx, input, contextSnapshot(topic, learner));
        const [, opening] = await insertMessages(tx, session.id, [
          { role: 'system', content: prompt.text },
          { role: 'assistant', content: reply.text },
        ]);
        if (reply.question) await insertAssessment(tx, newAssessment(session.id, reply.question, opening!.id));
        return { session, initialMessage: opening! };
      });
    },

    async sendMessage(sessionId: number, message: string): Promise<TurnResult> {
      const found = await findSessionWithContext(db, sessionId);
      if (!found) throw new AppError('session_not_found', `Session ${sessionId} does not exist.`);
      if (found.session.status !== 'active') throw notActive(found.session);

      const [system, history, asked, lastIdBefore] = await Promise.all([
        systemPrompt(db, sessionId),
        recentConversation(db, sessionId, config.maxConversationHistory),
        sessionAssessments(db, sessionId),
        lastMessageId(db, sessionId),
      ]);
      if (system === undefined) throw new Error(`Session ${sessionId} has no system prompt`);

      const topic = topicFromSnapshot(found.session, found.context);
      const pending = asked.findLast((assessment) => assessment.status === 'pending');
      const pendingQuestion = pending ? assessmentFacts(pending) : undefined;
      const kind = pending ? classifyReply(message, pending.acceptedAnswers) : 'question';
      const grade: Grade | undefined =
        pendingQuestion && kind === 'answer'
          ? await guardLlm(() => llm.grade({ question: pendingQuestion, answer: message }))
          : undefined;

      const grades = asked.filter((assessment) => assessment.status === 'graded').map((assessment) => assessment.correct === true);
      const progress = assessProgress(grade ? [...grades, grade.correct] : grades, rule);
      const completes = grade !== undefined && progress.passed;
      const wantsQuestion = !completes && (grade !== undefined || !pending);

      const reply = await tutorReply({
        system,
        history: history.map(({ role, content }) => ({ role: role === 'user' ? 'user' : 'assistant', content })),
        learnerMessage: message,
        turn: {
          kind,
          topic,
          learner: { level: found.context.userLevel, completedTopics: found.context.completedTopics, struggles: found.context.struggles },
          pendingQuestion,
          grade,
          progress,
          suggestedQuestion: wantsQuestion
            ? questionFacts(nextBankQuestion(topic.questions, asked.map((assessment) => assessment.question)))
            : undefined,
        },
      });

      return db.transaction(async (tx) => {
        const session = await lockSession(tx, sessionId);
        if (!session) throw new AppError('session_not_found', `Session ${sessionId} does not exist.`);
        if (session.status !== 'active') throw notActive(session);
        if ((await lastMessageId(tx, sessionId)) !== lastIdBefore) {
          throw new AppError('turn_conflict', 'Another message to this session was answered meanwhile; reload the session and resend.');
        }
        const [learnerMessage, tutorMessage] = await insertMessages(tx, sessionId, [
          { role: 'user', content: message },
          { role: 'assistant', content: reply.text },
        ]);
        const now = tutorMessage!.createdAt;
        if (pending && grade) {
          await recordGrade(tx, pending.id, { learnerAnswer: message, ...grade, answerMessageId: learnerMessage!.id, gradedAt: now });
        }
        if (reply.question) {
          if (pending && !grade) await skipAssessment(tx, pending.id);
          await insertAssessment(tx, newAssessment(sessionId, reply.question, tutorMessage!.id));
        }
        if (completes) {
          await completeSession(tx, sessionId, now);
          const { userId, courseId, topicId } = session;
          await curriculum.recordCompletion(tx, { userId, courseId, topicId, sessionId, completedAt: now });
        }
        return { sessionId, reply: tutorMessage!, topicCompleted: completes };
      });
    },

    async getSession(sessionId: number): Promise<SessionDetails> {
      const found = await findSessionWithContext(db, sessionId);
      if (!found) throw new AppError('session_not_found', `Session ${sessionId} does not exist.`);
      return { ...found, messages: await visibleMessages(db, sessionId) };
    },
  };
}

function notActive(session: SessionRow): AppError {
  return new AppError('session_not_active', `Session ${session.id} is ${session.status}; it takes no more messages.`);
}

function questionFacts(question: BankQuestion | undefined): QuestionFacts | undefined {
  if (!question) return undefined;
  return { question: question.question, expectedAnswer: question.answers[0]!, acceptedAnswers: question.answers, hint: question.hint };
}

function assessmentFacts(assessment: AssessmentRow): QuestionFacts {
  const { question, expectedAnswer, acceptedAnswers, hint } = assessment;
  return { question, expectedAnswer, acceptedAnswers, hint };
}

function newAssessment(sessionId: number, question: QuestionFacts, questionMessageId: number) {
  return { sessionId, ...question, questionMessageId };
}

function contextSnapshot(topic: Topic, learner: LearnerContext) {
  return {
    userLevel: learner.level,
    completedTopics: learner.completedTopics,
    struggles: learner.struggles,
    courseTitle: topic.courseTitle,
    topicTitle: topic.title,
    topicDescription: topic.description,
    learningObjectives: topic.learningObjectives,
    explanation: topic.explanation,
    promptTemplate: topic.promptTemplate,
    questionBank: topic.questions,
  };
}

/** A session teaches the topic as it was when it started, even if the catalog has changed since. */
function topicFromSnapshot(session: SessionRow, context: ContextRow): Topic {
  return {
    id: session.topicId,
    courseId: session.courseId,
    courseTitle: context.courseTitle,
    title: context.topicTitle,
    description: context.topicDescription,
    learningObjectives: context.learningObjectives,
    explanation: context.explanation,
    promptTemplate: context.promptTemplate,
    questions: context.questionBank,
  };
}
