import { useEffect, useState } from 'preact/hooks';
import { oversightApi } from '../../../src/client/api.js';
import { ApiError } from '../../../src/client/http.js';
import { plainWords } from '../../../src/client/plain-words.js';
import type { Transcript } from '../../../src/client/types.js';
import type { SignedIn } from '../app.js';
import { ViewHeading } from '../learner/heading.js';
import { RichText } from '../learner/rich-text.js';
import { categoryWords } from './teach-home.js';

interface Props {
  signedIn: SignedIn;
  sessionId: number;
  onSignedOut: () => void;
}

/** A session as a teacher reads it: the conversation, each question's expected answer, each answer's grade, the flags. */
export function TranscriptView({ signedIn, sessionId, onSignedOut }: Props) {
  const [transcript, setTranscript] = useState<Transcript>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    oversightApi(signedIn.credentials)
      .transcript(sessionId)
      .then(setTranscript, (failure: unknown) => {
        if (failure instanceof ApiError && failure.code === 'unauthorized') onSignedOut();
        else setError(plainWords(failure));
      });
  }, []);

  if (!transcript) {
    return (
      <>
        <ViewHeading title="Session" />
        {error ? (
          <p role="alert" class="error">
            {error} <a href="#/teach">Back to teaching</a>
          </p>
        ) : (
          <p>Loading the session…</p>
        )}
      </>
    );
  }
  const askedBy = new Map(transcript.questions.map((question) => [question.question_message_id, question]));
  const answeredBy = new Map(transcript.questions.map((question) => [question.answer_message_id, question]));
  const flaggedBy = new Map(transcript.flags.map((flag) => [flag.message_id, flag]));
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="#/teach">Teaching</a> <span aria-hidden="true">›</span> {transcript.course_title}
      </nav>
      <ViewHeading title={`${transcript.topic_title}: learner ${transcript.user_id}`} />
      <p class="muted">
        Session {transcript.id} · {transcript.status} · started {new Date(transcript.started_at).toLocaleString()} · {transcript.turns} learner messages
      </p>
      <ol class="messages transcript card" aria-label="Transcript">
        {transcript.messages.map((message) => {
          const asked = askedBy.get(message.id);
          const answered = answeredBy.get(message.id);
          const flag = flaggedBy.get(message.id);
          return (
            <li key={message.id} class={`message ${message.role === 'user' ? 'learner' : 'tutor'}`}>
              <span class="who">
                {message.role === 'user' ? `Learner${message.kind ? ` (${message.kind})` : ''}` : 'Tutor'} · {new Date(message.timestamp).toLocaleTimeString()}
              </span>
              <div class="text">{message.role === 'user' ? message.content : <RichText text={message.content} />}</div>
              {asked && (
                <p class="annotation">
                  Asked: {asked.question} · expected answer: <strong>{asked.expected_answer}</strong>
                </p>
              )}
              {answered && answered.correct !== null && (
                <p class={`annotation ${answered.correct ? 'right' : 'wrong'}`}>
                  {answered.correct ? 'Graded correct' : 'Graded wrong'}
                  {answered.feedback && `: ${answered.feedback}`}
                </p>
              )}
              {flag && (
                <p class={`annotation flagged severity-${flag.severity}`}>
                  Flagged: {categoryWords[flag.category]}, {flag.severity} ({flag.status})
                </p>
              )}
            </li>
          );
        })}
      </ol>
    </>
  );
}
