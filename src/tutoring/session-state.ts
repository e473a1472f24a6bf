import type { BankQuestion, LearnerContext, Topic } from '../curriculum/curriculum.js';
import type { AssessmentRow, QuestionState } from '../db/assessments.js';
import type { ContextRow, SessionRow } from '../db/sessions.js';
import type { QuestionFacts } from './tutor-engine.js';
import { assessProgress, type PassRule, type Progress } from './completion.js';

/** What the pass rule sees of a session, plus how many questions were asked. */
export interface SessionProgress extends Progress {
  asked: number;
  rule: PassRule;
}

/** The session's progress from its assessments, counting `extraGrade` as one more graded answer when given. */
export function sessionProgress(assessments: QuestionState[], rule: PassRule, extraGrade?: boolean): SessionProgress {
  const grades = assessments.filter((a) => a.status === 'graded').map((a) => a.correct === true);
  if (extraGrade !== undefined) grades.push(extraGrade);
  const asked = assessments.filter((a) => a.status !== 'skipped').length;
  return { ...assessProgress(grades, rule), asked, rule };
}

export function assessmentFacts(row: AssessmentRow): QuestionFacts {
  const { question, expectedAnswer, acceptedAnswers, hint, objective } = row;
  return { question, expectedAnswer, acceptedAnswers, hint, objective };
}

export function bankQuestionFacts(question: BankQuestion | undefined): QuestionFacts | undefined {
  if (!question) return undefined;
  return { question: question.question, expectedAnswer: question.answers[0]!, acceptedAnswers: question.answers, hint: question.hint };
}

export function newAssessment(sessionId: number, question: QuestionFacts, questionMessageId: number) {
  const { question: text, expectedAnswer, acceptedAnswers, hint, objective } = question;
  return { sessionId, question: text, expectedAnswer, acceptedAnswers, hint, objective: objective ?? null, questionMessageId };
}

export function contextSnapshot(topic: Topic, learner: LearnerContext) {
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
export function topicFromSnapshot(session: SessionRow, context: ContextRow): Topic {
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
