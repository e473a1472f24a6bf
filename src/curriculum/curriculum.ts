import type { Db } from '../db/client.js';

export interface BankQuestion {
  question: string;
  /** Answers that count as correct; the offline grader matches them, an LLM grader reads them as the expectation. */
  answers: string[];
  hint: string;
  /** The id of the learning objective it checks. */
  objective?: string;
}

/** One learning objective of a topic: what a learner's mastery is tracked for. */
export interface Objective {
  id: string;
  text: string;
}

/** Bayesian Knowledge Tracing's parameters (src/tutoring/mastery.ts), each a probability. */
export interface MasteryParams {
  /** That the learner knows the objective before any answer. */
  prior: number;
  /** That they learn it at an answer, if they did not know it. */
  learn: number;
  /** That they answer wrong although they know it. */
  slip: number;
  /** That they answer right although they do not know it. */
  guess: number;
}

export interface Topic {
  id: number;
  courseId: number;
  courseTitle: string;
  title: string;
  description: string;
  learningObjectives: string;
  /** The objectives as data: the catalog's list, or the learning objectives split on line breaks and semicolons. */
  objectives: Objective[];
  /** The topic's own mastery parameters, over the defaults; null: the defaults. */
  mastery: Partial<MasteryParams> | null;
  /** Topics to complete before this one (the catalog's `requires`). */
  requires: number[];
  /** The course's language (BCP 47), when the catalog gives one. */
  language: string | null;
  /** Teaching material the offline tutor explains from; LLM tutors get it in the prompt. */
  explanation: string | null;
  promptTemplate: string | null;
  questions: BankQuestion[];
}

export interface Course {
  id: number;
  title: string;
  description: string | null;
  /** In the course's order. */
  topics: Topic[];
}

export interface LearnerContext {
  level: string;
  completedTopics: string[];
  struggles: string[];
  /** The learner's language (BCP 47), when the platform tells it. */
  language?: string;
}

export interface TopicCompletion {
  userId: number;
  courseId: number;
  topicId: number;
  sessionId: number;
  completedAt: Date;
}

/** Where topics and what the tutor knows of a learner come from: the local catalog, or the .NET backend. */
export interface Curriculum {
  readonly source: 'local' | 'dotnet';
  findTopic(topicId: number): Promise<Topic | undefined>;
  learnerContext(userId: number): Promise<LearnerContext>;
  /** The courses, in order; undefined when the source cannot list them (the .NET contract has no such call). */
  listCourses(): Promise<Course[] | undefined>;
}

/**
 * Where a completed topic is recorded: the local progress table, or the outbox that notifies .NET. Called inside
 * the transaction that completes the session, so that the completion and its record commit together.
 */
export interface CompletionRecorder {
  record(tx: Db, completion: TopicCompletion): Promise<void>;
}
