import type { Db } from '../db/client.js';

export interface BankQuestion {
  question: string;
  /** Answers that count as correct; the offline grader matches them, an LLM grader reads them as the expectation. */
  answers: string[];
  hint: string;
}

export interface Topic {
  id: number;
  courseId: number;
  courseTitle: string;
  title: string;
  description: string;
  learningObjectives: string;
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
