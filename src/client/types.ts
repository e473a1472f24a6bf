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
}

export interface Message {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
}

export interface SessionDetails extends SessionSummary {
  initial_message: string;
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
