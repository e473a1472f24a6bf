import type { BankQuestion, LearnerContext, Topic } from '../curriculum/curriculum.js';
import type { AssessmentRow, QuestionState } from '../db/assessments.js';
import type { ContextRow, SessionRow } from '../db/sessions.js';
import type { QuestionFacts } from './tutor-engine.js';
import { assessProgress, type PassRule, type Progress } from './completion.js';
import { masteryParams, meetsMasteryGate, objectiveStanding, type MasteryRecord, type ObjectiveMastery } from './mastery.js';

/** What the pass rule sees of a session, how many questions were asked, and the learner's mastery of each objective. */
export interface SessionProgress extends Progress {
  asked: number;
  rule: PassRule;
  objectives: ObjectiveMastery[];
  /** Whether the seed's rule is met (`recentCorrect` of `recentGraded`), whatever the mastery gate says. */
  rulePassed: boolean;
}

/**
 * The session's progress from its assessments, counting `extraGrade` as one more graded answer when given, and the
 * objectives' mastery. It is passed when the rule is met and, with a mastery threshold, every objective reaches it.
 */
export function sessionProgress(assessments: QuestionState[], rule: PassRule, objectives: ObjectiveMastery[], extraGrade?: boolean): SessionProgress {
  const grades = assessments.filter((a) => a.status === 'graded').map((a) => a.correct === true);
  if (extraGrade !== undefined) grades.push(extraGrade);
  const asked = assessments.filter((a) => a.status !== 'skipped').length;
  const progress = assessProgress(grades, rule);
  return { ...progress, passed: progress.passed && meetsMasteryGate(objectives, rule.masteryThreshold), rulePassed: progress.passed, asked, rule, objectives };
}

/** The learner's mastery of the session's objectives, from their records. */
export function sessionObjectives(context: ContextRow, records: readonly MasteryRecord[]): ObjectiveMastery[] {
  return objectiveStanding(context.objectives, records, masteryParams(context.masteryParams));
}

export function assessmentFacts(row: AssessmentRow): QuestionFacts {
  const { question, expectedAnswer, acceptedAnswers, hint, objective } = row;
  return { question, expectedAnswer, acceptedAnswers, hint, objective };
}

export function bankQuestionFacts(question: BankQuestion | undefined): QuestionFacts | undefined {
  if (!question) return undefined;
  return { question: question.question, expectedAnswer: question.answers[0]!, acceptedAnswers: question.answers, hint: question.hint, objective: question.objective ?? null };
}

export function newAssessment(sessionId: number, question: QuestionFacts, questionMessageId: number) {
  const { question: text, expectedAnswer, acceptedAnswers, hint, objective } = question;
  return { sessionId, question: text, expectedAnswer, acceptedAnswers, hint, objective: objective ?? null, questionMessageId };
}

export function contextSnapshot(topic: Topic, learner: LearnerContext, language: string) {
  return {
    language,
    objectives: topic.objectives,
    masteryParams: masteryParams(topic.mastery),
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
    objectives: context.objectives,
    mastery: context.masteryParams,
    requires: [],
    language: context.language,
    explanation: context.explanation,
    promptTemplate: context.promptTemplate,
    questions: context.questionBank,
  };
}
