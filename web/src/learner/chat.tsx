import { useEffect, useRef, useState } from 'preact/hooks';
import { learnerApi } from '../../../src/client/api.js';
import { newKey } from '../../../src/client/deliver-turn.js';
import { ApiError, type Credentials } from '../../../src/client/http.js';
import { plainWords } from '../../../src/client/plain-words.js';
import type { Progress, SessionDetails } from '../../../src/client/types.js';
import { ViewHeading } from './heading.js';
import { ProgressPanel } from './progress.js';
import { RichText } from './rich-text.js';
import type { PendingTurn } from '../../../src/client/deliver-turn.js';
import { deliverKept, pendingTurn } from './turn.js';
import type { TFunction } from 'i18next';
import { labelsFor } from './labels.js';

interface Props {
  credentials: Credentials;
  sessionId: number;
  /** The credentials were refused (expired): sign in again, and come back here. */
  onSignedOut: () => void;
}

interface Shown {
  role: 'user' | 'assistant';
  content: string;
  id: string;
}

// A message not sent because the sign-in expired, kept for when the learner is back.
const draftKey = (sessionId: number) => `ai-tutor.draft.${sessionId}`;

function keptDraft(sessionId: number): string {
  const draft = sessionStorage.getItem(draftKey(sessionId)) ?? '';
  sessionStorage.removeItem(draftKey(sessionId));
  return draft;
}

/** A tutoring session: the conversation, the reply as it streams, the progress, a hint, the completion. */
export function Chat({ credentials, sessionId, onSignedOut }: Props) {
  const api = learnerApi(credentials);
  const [session, setSession] = useState<SessionDetails>();
  const [messages, setMessages] = useState<Shown[]>([]);
  const [progress, setProgress] = useState<Progress>();
  const [status, setStatus] = useState<SessionDetails['status']>();
  const [draft, setDraft] = useState(() => keptDraft(sessionId));
  const [turn, setTurn] = useState<{ message: string; reply: string }>();
  const [error, setError] = useState<string>();
  const [completedNow, setCompletedNow] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const banner = useRef<HTMLDivElement>(null);
  // Set at once, unlike state: a second Enter in the same moment finds it set and sends nothing.
  const sending = useRef(false);

  const fail = (failure: unknown, unsent?: string) => {
    if (failure instanceof ApiError && failure.code === 'unauthorized') {
      if (unsent) sessionStorage.setItem(draftKey(sessionId), unsent);
      onSignedOut();
    } else setError(plainWords(failure));
  };

  const run = async (pending: PendingTurn) => {
    sending.current = true;
    setError(undefined);
    setTurn({ message: pending.message, reply: '' });
    try {
      const answer = await deliverKept(api, pending, (reply) => setTurn({ message: pending.message, reply }));
      setMessages((shown) => [
        ...shown,
        { role: 'user', content: pending.message, id: `u${answer.user_message_id}` },
        { role: 'assistant', content: answer.ai_message, id: `a${answer.message_id}` },
      ]);
      setProgress(answer.progress);
      if (answer.topic_completed) {
        setStatus('completed');
        setCompletedNow(true);
      }
    } catch (failure) {
      fail(failure, pending.message);
      // The message is the learner's to send again.
      setDraft((current) => current || pending.message);
    } finally {
      sending.current = false;
      setTurn(undefined);
    }
  };

  useEffect(() => {
    api.session(sessionId).then((loaded) => {
      setSession(loaded);
      setMessages(loaded.messages.map((message) => ({ role: message.role, content: message.content, id: `m${message.id}` })));
      setProgress(loaded.progress);
      setStatus(loaded.status);
      // A message sent before a reload, not yet answered: its reply goes on here.
      const pending = pendingTurn(sessionId);
      if (pending && loaded.status === 'active') void run(pending);
    }, fail);
  }, []);

  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [messages, turn]);
  useEffect(() => {
    if (completedNow) banner.current?.focus();
    else if (!turn) input.current?.focus();
  }, [completedNow, turn]);

  const send = (message: string) => {
    if (!message.trim() || sending.current) return;
    setDraft('');
    void run({ sessionId, message, key: newKey() });
  };
  const submit = (event: Event) => {
    event.preventDefault();
    send(draft);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(draft);
    }
  };
  const abandon = async () => {
    if (!confirm(t('confirm_end'))) return;
    try {
      setStatus((await api.abandon(sessionId)).status);
    } catch (failure) {
      fail(failure);
    }
  };

  // The chat's own words follow the session's language (English until the session is read).
  const t = labelsFor(session?.language);
  if (!session) {
    return (
      <>
        <ViewHeading title="Session" />
        {error ? (
          <p role="alert" class="error">
            {error} <a href="#/">Back to your learning</a>
          </p>
        ) : (
          <p>Loading the session…</p>
        )}
      </>
    );
  }
  const title = session.context.topic_title;
  return (
    <div lang={session.language}>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="#/">{t('your_learning')}</a> <span aria-hidden="true">›</span> {session.context.course_title}
      </nav>
      <ViewHeading title={title} />
      <div class="chat-layout">
        {progress && <ProgressPanel progress={progress} t={t} />}
        <div class="chat card">
          <ol class="messages" aria-label={t('conversation')}>
            {messages.map((message) => (
              <Bubble key={message.id} role={message.role} text={message.content} t={t} />
            ))}
            {turn && <Bubble role="user" text={turn.message} t={t} />}
            {turn && (
              <li class="message tutor">
                <span class="who">{t('tutor')}</span>
                {/* The reply as it streams, read out as it grows, without interrupting. */}
                <div class="text" aria-live="polite">
                  <RichText text={turn.reply} />
                </div>
              </li>
            )}
          </ol>
          <p role="status" class="typing">
            {turn && !turn.reply ? t('writing') : ''}
          </p>
          {error && (
            <p role="alert" class="error">
              {error}
            </p>
          )}
          {status === 'completed' && (
            <div class="completed" role="status" tabIndex={-1} ref={banner}>
              <p>
                <strong>{t('completed')}</strong> {t('mastered', { title })}
              </p>
              <a class="button primary" href="#/">
                {t('another_topic')}
              </a>
            </div>
          )}
          {status === 'abandoned' && (
            <div class="ended" role="status">
              <p>{t('ended')}</p>
              <a class="button" href="#/">
                {t('back')}
              </a>
            </div>
          )}
          {status === 'active' && (
            <form class="composer" onSubmit={submit}>
              <label for="message">{t('your_message')}</label>
              <textarea
                id="message"
                ref={input}
                rows={2}
                value={draft}
                onInput={(e) => setDraft(e.currentTarget.value)}
                onKeyDown={onKeyDown}
                aria-describedby="message-help"
              />
              <p id="message-help" class="hint">
                {t('enter_sends')}
              </p>
              <div class="actions">
                <button type="submit" class="primary" disabled={!!turn || !draft.trim()}>
                  {t('send')}
                </button>
                <button type="button" disabled={!!turn} onClick={() => send(t('hint_message'))}>
                  {t('ask_hint')}
                </button>
                <button type="button" class="quiet" disabled={!!turn} onClick={() => void abandon()}>
                  {t('end_session')}
                </button>
              </div>
            </form>
          )}
          {/* Scrolled into view after each message: the reply and the message box below it stay in sight. */}
          <div ref={bottom} />
        </div>
      </div>
    </div>
  );
}

function Bubble({ role, text, t }: { role: 'user' | 'assistant'; text: string; t: TFunction }) {
  return (
    <li class={`message ${role === 'user' ? 'learner' : 'tutor'}`}>
      <span class="who">{role === 'user' ? t('you') : t('tutor')}</span>
      <div class="text">{role === 'user' ? text : <RichText text={text} />}</div>
    </li>
  );
}
