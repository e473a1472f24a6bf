// The API's JSON, as the app reads it (the OpenAPI document at /docs is the reference).

export interface Caller {
  kind: 'user' | 'service' | 'admin' | 'open';
  user_id: number | null;
  role: 'learner' | 'teacher' | 'admin' | null;
  course_ids: number[];
}

export interface CourseSummary {
  id: number;
  title: string;
  description: string | null;
  topic_count: number;
}

export interface Topic {
  id: number;
  course_id: number;
  course_title: string;
  title: string;
  description: string;
  learning_objectives: string;
  question_count: number;
}

export interface Course extends CourseSummary {
  topics: Topic[];
}

export interface SessionSummary {
  id: number;
  user_id: number;
  topic_id: number;
  course_id: number;
  status: 'active' | 'completed' | 'abandoned';
  started_at: string;
  completed_at: string | null;
}

export interface SessionList {
  sessions: SessionSummary[];
  next_before: number | null;
}

export interface Started extends SessionSummary {
  initial_message: string;
  language: string;
}

export interface Progress {
  questions_asked: number;
  graded_answers: number;
  correct_answers: number;
  recent_graded: number;
  recent_correct: number;
  pass_correct: number;
  question_count: number;
  passed: boolean;
  mastery_threshold: number | null;
  objectives: { id: string; text: string; mastery: number; attempts: number; correct_answers: number }[];
}

export interface Message {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
}

export interface SessionDetails extends SessionSummary {
  initial_message: string;
  language: string;
  context: { course_title: string; topic_title: string; learning_objectives: string };
  messages: Message[];
  progress: Progress;
}

/** A turn's answer: the JSON response, or a stream's `done`. */
export interface Turn {
  session_id: number;
  ai_message: string;
  topic_completed: boolean;
  timestamp: string;
  message_id: number;
  user_message_id: number;
  progress: Progress;
}

/** A page of an oversight list. */
export interface Page<T> {
  items: T[];
  next_before: number | null;
}

export interface TopicFigures {
  topic_id: number;
  course_id: number;
  topic_title: string;
  sessions_started: number;
  sessions_completed: number;
  sessions_abandoned: number;
  completion_rate: number;
  abandonment_rate: number;
  median_turns_to_completion: number | null;
  median_minutes_to_completion: number | null;
  hint_requests: number;
  most_missed_questions: { question: string; wrong_answers: number; graded_answers: number }[];
}

/** The tokens and cost of model calls, as the service recorded them. */
export interface Spending {
  prompt_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  total_tokens: number;
  cost_usd: number | null;
  model_calls: number;
}

export interface OverseenSession extends SessionSummary {
  course_title: string;
  topic_title: string;
  turns: number;
  open_flags: number;
  last_activity_at: string;
  usage: Spending;
}

export interface SafetyFlag {
  id: number;
  session_id: number;
  message_id: number | null;
  user_id: number;
  course_id: number;
  category: 'self_harm' | 'violence' | 'sexual' | 'harassment';
  severity: 'low' | 'medium' | 'high';
  source: 'rules' | 'moderation';
  status: 'open' | 'resolved';
  created_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
}

export interface Transcript extends OverseenSession {
  messages: { id: number; role: 'user' | 'assistant'; kind: 'answer' | 'hint' | 'question' | null; content: string; timestamp: string }[];
  questions: {
    id: number;
    question: string;
    expected_answer: string;
    accepted_answers: string[];
    status: 'pending' | 'graded' | 'skipped';
    learner_answer: string | null;
    correct: boolean | null;
    feedback: string | null;
    question_message_id: number | null;
    answer_message_id: number | null;
  }[];
  flags: SafetyFlag[];
}
