import type { SessionRow } from '../db/sessions.js';
import type { SessionProgress } from '../tutoring/session-state.js';
import type { StartedSession } from '../tutoring/tutor.js';
import type { TurnResult } from '../tutoring/turn.js';

// Domain rows to the API's JSON: snake_case fields, ISO 8601 UTC timestamps.

export function presentSession(session: SessionRow) {
  return {
    id: session.id,
    user_id: session.userId,
    topic_id: session.topicId,
    course_id: session.courseId,
    status: session.status,
    started_at: session.startedAt.toISOString(),
    completed_at: session.completedAt?.toISOString() ?? null,
  };
}

export function presentStarted(started: StartedSession) {
  return { ...presentSession(started.session), initial_message: started.initialMessage.content, language: started.language };
}

export function presentTurn(turn: TurnResult) {
  return {
    session_id: turn.sessionId,
    ai_message: turn.reply.content,
    topic_completed: turn.topicCompleted,
    timestamp: turn.reply.createdAt.toISOString(),
    message_id: turn.reply.id,
    user_message_id: turn.learnerMessage.id,
    progress: presentProgress(turn.progress),
  };
}

export function presentProgress(progress: SessionProgress) {
  return {
    questions_asked: progress.asked,
    graded_answers: progress.graded,
    correct_answers: progress.correct,
    recent_graded: progress.recentGraded,
    recent_correct: progress.recentCorrect,
    pass_correct: progress.rule.passCorrect,
    question_count: progress.rule.questionCount,
    passed: progress.passed,
    mastery_threshold: progress.rule.masteryThreshold ?? null,
    objectives: progress.objectives.map(({ objective, probability, attempts, correct }) => ({
      id: objective.id,
      text: objective.text,
      mastery: probability,
      attempts,
      correct_answers: correct,
    })),
  };
}
