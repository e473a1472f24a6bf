import { useEffect, useState } from 'preact/hooks';
import type { Credentials } from '../../src/client/http.js';
import { Chat } from './learner/chat.js';
import { Home } from './learner/home.js';
import { SignIn } from './learner/sign-in.js';

// The app's views, in the URL's fragment so that a reload stays where it was: the learner's home (#/), a session
// (#/sessions/12). A teacher's views will sit beside them.
type Route = { view: 'home' } | { view: 'session'; id: number };

function currentRoute(): Route {
  const session = /^#\/sessions\/(\d+)$/.exec(location.hash);
  return session ? { view: 'session', id: Number(session[1]) } : { view: 'home' };
}

const credentialsKey = 'ai-tutor.credentials';

// Kept for this browser tab only: a shared computer's next user does not inherit a learner's token.
function storedCredentials(): Credentials | undefined {
  const stored = sessionStorage.getItem(credentialsKey);
  return stored ? (JSON.parse(stored) as Credentials) : undefined;
}

export function App() {
  const [credentials, setCredentials] = useState(storedCredentials);
  const [route, setRoute] = useState(currentRoute);
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);

  const signIn = (signedIn: Credentials) => {
    sessionStorage.setItem(credentialsKey, JSON.stringify(signedIn));
    setNotice(undefined);
    setCredentials(signedIn);
  };
  const signOut = () => {
    sessionStorage.removeItem(credentialsKey);
    setCredentials(undefined);
    location.hash = '#/';
  };
  // The service refused the credentials (a token expired): sign in again, and come back to the same view.
  const signInAgain = () => {
    sessionStorage.removeItem(credentialsKey);
    setNotice('Your sign-in has expired or is no longer valid. Sign in again to go on where you were.');
    setCredentials(undefined);
  };

  return (
    <>
      <header class="bar">
        <a class="brand" href="#/">
          AI Tutor
        </a>
        {credentials && (
          <div class="account">
            <span>Learner {credentials.userId}</span>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main">
        {!credentials ? (
          <SignIn onSignedIn={signIn} notice={notice} />
        ) : route.view === 'session' ? (
          <Chat key={route.id} credentials={credentials} sessionId={route.id} onSignedOut={signInAgain} />
        ) : (
          <Home credentials={credentials} onSignedOut={signInAgain} />
        )}
      </main>
    </>
  );
}
