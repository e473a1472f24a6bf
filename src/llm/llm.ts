import type { LlmProviderName } from '../config.js';
import type { LearnerContext } from '../curriculum/curriculum.js';
import type { Progress } from '../tutoring/completion.js';

export interface ConversationMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface QuestionFacts {
  question: string;
  expectedAnswer: string;
  acceptedAnswers: string[];
  hint: string | null;
}

/** What the service decided for this turn before the tutor speaks: the tutor reports it, it does not decide it. */
export interface TurnFacts {
  /** opening: the session's first message; answer: the learner answered and was graded; hint/question: not graded. */
  kind: 'opening' | 'answer' | 'hint' | 'question';
  topic: { title: string; courseTitle: string; description: string; explanation: string | null };
  learner: LearnerContext;
  pendingQuestion?: QuestionFacts;
  grade?: Grade;
  progress: Progress;
  /** The question bank's next question, when a question should be asked in this reply. */
  suggestedQuestion?: QuestionFacts;
}

export interface TutorRequest {
  /** The session's system prompt: goes in the provider's system instruction. */
  system: string;
  /** Earlier messages, oldest first, already cut to the history window. */
  history: ConversationMessage[];
  /** The learner's new message; absent for the opening message. */
  learnerMessage?: string;
  turn: TurnFacts;
}

/** A reply arrives as events so that streaming and tool calls fit the same interface. */
export type TutorEvent = { type: 'text'; text: string } | { type: 'question'; question: QuestionFacts };

export interface GradeRequest {
  question: QuestionFacts;
  answer: string;
}

export interface Grade {
  correct: boolean;
  feedback: string;
}

export interface LlmProvider {
  readonly name: LlmProviderName;
  readonly model: string;
  respond(request: TutorRequest, signal?: AbortSignal): AsyncIterable<TutorEvent>;
  /** Grades one answer in isolation: it sees the question and the answer, never the conversation. */
  grade(request: GradeRequest, signal?: AbortSignal): Promise<Grade>;
}

export interface TutorReply {
  text: string;
  question?: QuestionFacts;
}

/** Collects a streamed reply: the text in order, and the last question the tutor asked. */
export async function collectReply(events: AsyncIterable<TutorEvent>): Promise<TutorReply> {
  let text = '';
  let question: QuestionFacts | undefined;
  for await (const event of events) {
    if (event.type === 'text') text += event.text;
    else question = event.question;
  }
  return { text, question };
}
