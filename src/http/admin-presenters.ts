import type { OverseenSession, Spending } from '../db/oversight.js';
import type { FlagRow } from '../db/safety-flags.js';
import type { Oversight } from '../oversight/oversight.js';
import { presentSession } from './session-presenters.js';

export function presentSpending(spending: Spending) {
  return {
    prompt_tokens: spending.promptTokens,
    output_tokens: spending.outputTokens,
    cached_tokens: spending.cachedTokens,
    total_tokens: spending.promptTokens + spending.outputTokens,
    cost_usd: spending.costUsd,
    model_calls: spending.calls,
  };
}

export function presentOverseenSession(session: OverseenSession) {
  return {
    ...presentSession(session),
    course_title: session.courseTitle,
    topic_title: session.topicTitle,
    turns: session.turns,
    open_flags: session.openFlags,
    last_activity_at: session.lastActivityAt.toISOString(),
    usage: presentSpending(session.spending),
  };
}

export function presentFlag(flag: FlagRow) {
  return {
    id: flag.id,
    session_id: flag.sessionId,
    message_id: flag.messageId,
    user_id: flag.userId,
    course_id: flag.courseId,
    category: flag.category,
    severity: flag.severity,
    source: flag.source,
    status: flag.status,
    created_at: flag.createdAt.toISOString(),
    resolved_at: flag.resolvedAt?.toISOString() ?? null,
    resolved_by: flag.resolvedBy,
  };
}

export function presentTranscript({ session, messages, questions, flags }: Awaited<ReturnType<Oversight['transcript']>>) {
  return {
    ...presentOverseenSession(session),
    messages: messages.map((message) => ({
      id: message.id,
      role: message.role as 'user' | 'assistant',
      kind: message.kind,
      content: message.content,
      timestamp: message.createdAt.toISOString(),
    })),
    questions: questions.map((question) => ({
      id: question.id,
      question: question.question,
      expected_answer: question.expectedAnswer,
      accepted_answers: question.acceptedAnswers,
      status: question.status,
      learner_answer: question.learnerAnswer,
      correct: question.correct,
      feedback: question.feedback,
      question_message_id: question.questionMessageId,
      answer_message_id: question.answerMessageId,
      asked_at: question.askedAt.toISOString(),
      graded_at: question.gradedAt?.toISOString() ?? null,
    })),
    flags: flags.map(presentFlag),
  };
}

export function presentLearner(learner: Awaited<ReturnType<Oversight['learner']>>) {
  return {
    user_id: learner.userId,
    topics_completed: learner.topicsCompleted.map((session) => ({
      topic_id: session.topicId,
      course_id: session.courseId,
      topic_title: session.topicTitle,
      session_id: session.id,
      completed_at: session.completedAt!.toISOString(),
    })),
    struggles: learner.struggles.map((topic) => ({
      topic_id: topic.topicId,
      course_id: topic.courseId,
      topic_title: topic.topicTitle,
      wrong_answers: topic.wrong,
      graded_answers: topic.graded,
    })),
    sessions: learner.sessions.map(presentOverseenSession),
    usage: presentSpending(learner.spending),
    flags: learner.flags.map(presentFlag),
  };
}

export function presentTopicAnalytics(topics: Awaited<ReturnType<Oversight['topicAnalytics']>>) {
  return {
    items: topics.map((topic) => ({
      topic_id: topic.topicId,
      course_id: topic.courseId,
      topic_title: topic.topicTitle,
      sessions_started: topic.started,
      sessions_completed: topic.completed,
      sessions_abandoned: topic.abandoned,
      completion_rate: topic.completionRate,
      abandonment_rate: topic.abandonmentRate,
      median_turns_to_completion: topic.medianTurnsToCompletion,
      median_minutes_to_completion: topic.medianMinutesToCompletion,
      hint_requests: topic.hintRequests,
      most_missed_questions: topic.mostMissedQuestions.map((question) => ({
        question: question.question,
        wrong_answers: question.wrong,
        graded_answers: question.answered,
      })),
    })),
  };
}

const groupKey = { learner: 'user_id', course: 'course_id', model: 'model' } as const;

export function presentUsage(group: 'learner' | 'course' | 'model', report: Awaited<ReturnType<Oversight['usage']>>) {
  return {
    group_by: group,
    items: report.items.map(({ key, ...spending }) => ({ [groupKey[group]]: key, ...presentSpending(spending) })),
    next_before: report.nextBefore,
  };
}
