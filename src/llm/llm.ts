import type { LlmProviderName } from '../config.js';
import type { LearnerContext } from '../curriculum/curriculum.js';
import type { Progress } from '../tutoring/completion.js';

export interface TokenUsage {
  promptTokens: number;
  outputTokens: number;
  /** Prompt tokens served from the provider's cache (Gemini's implicit caching), included in promptTokens. */
  cachedTokens: number;
}

/** A question as the tutor asks it through the `ask_question` function. */
export interface AskedQuestion {
  question: string;
  /** What a correct answer must contain or show. Never shown to the learner. */
  expectedAnswer: string;
  objective?: string | null;
}

/** A question with what the service knows to grade it: a bank question's accepted answers and hint. */
export interface QuestionFacts extends AskedQuestion {
  acceptedAnswers: string[];
  hint: string | null;
}

export interface ConversationMessage {
  role: 'user' | 'assistant';
  content: string;
  /** The question an assistant message asked: replayed to the model as the function call and its response. */
  askedQuestion?: AskedQuestion;
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
  rule: { passCorrect: number; questionCount: number };
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
  /** Whether the tutor gets the `ask_question` function (the graded completion policy). */
  askQuestionTool: boolean;
  /** Whether the caller passes the text on as it arrives; otherwise the provider may answer in one piece. */
  stream?: boolean;
}

/** A reply arrives as events, so that streaming and function calls fit one interface. */
export type TutorEvent =
  | { type: 'text'; text: string }
  | { type: 'question'; question: AskedQuestion }
  | { type: 'finish'; usage: TokenUsage; finishReason: string };

export interface GradeRequest {
  question: QuestionFacts;
  answer: string;
}

export interface Grade {
  correct: boolean;
  feedback: string;
  usage?: TokenUsage;
}

export interface LlmProvider {
  readonly name: LlmProviderName;
  readonly model: string;
  respond(request: TutorRequest): AsyncIterable<TutorEvent>;
  /** Grades one answer in isolation: it sees the question and the answer, never the conversation. */
  grade(request: GradeRequest): Promise<Grade>;
  /** Releases what the provider holds (its thread), once nothing calls it any more. */
  close?(): Promise<void>;
}
