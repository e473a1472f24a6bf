import { useEffect, useState } from 'preact/hooks';
import type { Credentials } from '../../src/client/http.js';
import type { Caller } from '../../src/client/types.js';
import { Chat } from './learner/chat.js';
import { Home } from './learner/home.js';
import { SignIn } from './learner/sign-in.js';
import { TeachHome } from './teacher/teach-home.js';
import { TranscriptView } from './teacher/transcript.js';

// The app's views, in the URL's fragment so that a reload stays where it was: a learner's home (#/) and session
// (#/sessions/12); a teacher's courses (#/teach) and a session's transcript (#/teach/sessions/12).
type Route = { view: 'home' } | { view: 'session'; id: number } | { view: 'teach' } | { view: 'transcript'; id: number };

function currentRoute(): Route {
  const session = /^#\/sessions\/(\d+)$/.exec(location.hash);
  if (session) return { view: 'session', id: Number(session[1]) };
  const transcript = /^#\/teach\/sessions\/(\d+)$/.exec(location.hash);
  if (transcript) return { view: 'transcript', id: Number(transcript[1]) };
  return location.hash.startsWith('#/teach') ? { view: 'teach' } : { view: 'home' };
}

/** Who signed in, and how: what the service said of the credentials (GET /api/me) decides the views offered. */
export interface SignedIn {
  credentials: Credentials;
  caller: Caller;
}

const signedInKey = 'ai-tutor.signed-in';

// Kept for this browser tab only: a shared computer's next user does not inherit a learner's token.
function storedSignIn(): SignedIn | undefined {
  const stored = sessionStorage.getItem(signedInKey);
  return stored ? (JSON.parse(stored) as SignedIn) : undefined;
}

const roleWords = { learner: 'Learner', teacher: 'Teacher', admin: 'Admin' };

/** Teachers, admins, and everyone when the service has no authentication (development). */
const canTeach = ({ caller }: SignedIn) => caller.kind === 'admin' || caller.kind === 'open' || caller.role === 'teacher' || caller.role === 'admin';
/** Everyone but the admin key, which names no learner. */
const canLearn = ({ caller }: SignedIn) => caller.kind !== 'admin';

export function App() {
  const [signedIn, setSignedIn] = useState(storedSignIn);
  const [route, setRoute] = useState(currentRoute);
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);

  const signIn = (who: SignedIn) => {
    sessionStorage.setItem(signedInKey, JSON.stringify(who));
    setNotice(undefined);
    setSignedIn(who);
    if (!canLearn(who) && !location.hash.startsWith('#/teach')) location.hash = '#/teach';
  };
  const signOut = () => {
    sessionStorage.removeItem(signedInKey);
    setSignedIn(undefined);
    location.hash = '#/';
  };
  // The service refused the credentials (a token expired): sign in again, and come back to the same view.
  const signInAgain = () => {
    sessionStorage.removeItem(signedInKey);
    setNotice('Your sign-in has expired or is no longer valid. Sign in again to go on where you were.');
    setSignedIn(undefined);
  };

  const teaching = route.view === 'teach' || route.view === 'transcript';
  const both = signedIn && canTeach(signedIn) && canLearn(signedIn);
  return (
    <>
      <header class="bar">
        <a class="brand" href={signedIn && !canLearn(signedIn) ? '#/teach' : '#/'}>
          AI Tutor
        </a>
        {both && (
          <nav class="views" aria-label="Views">
            <a href="#/" aria-current={teaching ? undefined : 'page'}>
              Learn
            </a>
            <a href="#/teach" aria-current={teaching ? 'page' : undefined}>
              Teach
            </a>
          </nav>
        )}
        {signedIn && (
          <div class="account">
            <span>{signedIn.caller.kind === 'admin' ? 'Admin' : `${roleWords[signedIn.caller.role ?? 'learner']} ${signedIn.credentials.userId}`}</span>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main">
        {!signedIn ? (
          <SignIn onSignedIn={signIn} notice={notice} />
        ) : teaching && canTeach(signedIn) ? (
          route.view === 'transcript' ? (
            <TranscriptView key={route.id} signedIn={signedIn} sessionId={route.id} onSignedOut={signInAgain} />
          ) : (
            <TeachHome signedIn={signedIn} onSignedOut={signInAgain} />
          )
        ) : route.view === 'session' && canLearn(signedIn) ? (
          <Chat key={route.id} credentials={signedIn.credentials} sessionId={route.id} onSignedOut={signInAgain} />
        ) : canLearn(signedIn) ? (
          <Home credentials={signedIn.credentials} onSignedOut={signInAgain} />
        ) : (
          <TeachHome signedIn={signedIn} onSignedOut={signInAgain} />
        )}
      </main>
    </>
  );
}
