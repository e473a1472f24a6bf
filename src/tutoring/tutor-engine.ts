import type { LearnerContext, Objective } from '../curriculum/curriculum.js';
import type { TokenUsage } from '../llm/llm.js';
import type { PassRule, Progress } from './completion.js';

/** A question as the tutor asks it through the `ask_question` function. */
export interface AskedQuestion {
  question: string;
  /** What a correct answer must contain or show. Never shown to the learner, nor sent to the tutor model again. */
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
  /** The question an assistant message asked: replayed to the model as the function call it made. */
  askedQuestion?: AskedQuestion;
}

/** What the service decided for this turn before the tutor speaks: the tutor reports it, it does not decide it. */
export interface TurnFacts {
  /** opening: the session's first message; answer: the learner answered and was graded; hint/question: not graded. */
  kind: 'opening' | 'answer' | 'hint' | 'question';
  topic: { title: string; courseTitle: string; description: string; explanation: string | null; objectives: Objective[] };
  learner: LearnerContext;
  pendingQuestion?: QuestionFacts;
  grade?: Grade;
  progress: Progress & { rulePassed?: boolean };
  rule: PassRule;
  /** The session's language (BCP 47): the tutor teaches in it. */
  language: string;
  /** The objective the next question should check (the least mastered), when the topic has objectives. */
  targetObjective?: Objective;
  /** The question bank's next question, when a question should be asked in this reply. */
  suggestedQuestion?: QuestionFacts;
}

export interface Grade {
  correct: boolean;
  feedback: string;
  /** Tokens of the grading call; none when no model graded. */
  usage?: TokenUsage;
}

export interface ReplyRequest {
  /** The session's system prompt. */
  system: string;
  /** Earlier messages, oldest first, already cut to the history window. */
  history: ConversationMessage[];
  /** The learner's new message, already made inert; absent for the opening message. */
  learnerMessage?: string;
  turn: TurnFacts;
  /** Whether the tutor may ask a question (`ask_question`): not in a reply that completes the topic. */
  mayAsk: boolean;
  /** Whether the service tells the tutor what it decided (the graded policy) or the prompt alone guides it (marker). */
  graded: boolean;
  /** Whether the caller passes the text on as it arrives. */
  stream?: boolean;
}

/** A reply arrives as events, so that streaming and questions fit one interface. */
export type ReplyEvent =
  | { type: 'text'; text: string }
  | { type: 'question'; question: AskedQuestion }
  | { type: 'finish'; usage: TokenUsage; finishReason: string };

/** Who teaches: a model (through the LLM port), or the offline tutor. */
export interface TutorEngine {
  readonly provider: string;
  readonly model: string;
  /** The model that grades answers. */
  readonly graderModel: string;
  /** Whether its replies and grades come from model calls (which cost tokens), or from the offline tutor. */
  readonly usesModel: boolean;
  /** One reply, from one model call at most. */
  reply(request: ReplyRequest): AsyncIterable<ReplyEvent>;
  /** Grades one answer in isolation: it sees the question and the answer, never the conversation. */
  grade(question: QuestionFacts, answer: string): Promise<Grade>;
}
