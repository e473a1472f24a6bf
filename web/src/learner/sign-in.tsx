import { useEffect, useState } from 'preact/hooks';
import { learnerApi } from '../../../src/client/api.js';
import type { Credentials } from '../../../src/client/http.js';
import { plainWords } from '../../../src/client/plain-words.js';
import { ViewHeading } from './heading.js';

interface AppConfig {
  auth: { token: boolean; key: boolean };
}

type Method = 'token' | 'key' | 'open';

const lastLearnerKey = 'ai-tutor.last-learner';

/**
 * Choosing the learner: a user id when the service has no authentication (development), a learner's token when it
 * verifies tokens, or the service key and a user id (a platform team's demo).
 */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (credentials: Credentials) => void; notice?: string }) {
  const [config, setConfig] = useState<AppConfig>();
  const [method, setMethod] = useState<Method>('open');
  // The learner id last used in this browser (an id, not a secret), or 1.
  const [userId, setUserId] = useState(() => localStorage.getItem(lastLearnerKey) ?? '1');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    fetch('/app/config.json')
      .then((response) => response.json() as Promise<AppConfig>)
      .then((loaded) => {
        setConfig(loaded);
        setMethod(loaded.auth.token ? 'token' : loaded.auth.key ? 'key' : 'open');
      })
      .catch(() => setError('The tutor service cannot be reached. Reload the page to try again.'));
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const id = Number(userId);
    if (method !== 'token' && !(Number.isInteger(id) && id > 0)) {
      setError('The learner id is a whole number, 1 or more.');
      return;
    }
    const credentials: Credentials =
      method === 'token' ? { kind: 'token', token: secret.trim(), userId: 0 } : method === 'key' ? { kind: 'key', key: secret.trim(), userId: id } : { kind: 'open', userId: id };
    setBusy(true);
    try {
      // The service says whether the token or key is good, and whom a token signs in.
      const caller = await learnerApi(credentials).me();
      if (credentials.kind !== 'token') localStorage.setItem(lastLearnerKey, String(id));
      onSignedIn(credentials.kind === 'token' ? { ...credentials, userId: caller.user_id! } : credentials);
    } catch (failure) {
      setError(plainWords(failure));
    } finally {
      setBusy(false);
    }
  };

  const both = config?.auth.token && config.auth.key;
  return (
    <section class="card narrow">
      <ViewHeading title="Sign in" />
      <p>Learn a topic with your AI tutor: it explains, asks you questions and tells you when you have mastered it.</p>
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      {config && (
        <form onSubmit={submit}>
          {both && (
            <fieldset>
              <legend>Sign in with</legend>
              <label class="choice">
                <input type="radio" name="method" checked={method === 'token'} onChange={() => setMethod('token')} /> An access token
              </label>
              <label class="choice">
                <input type="radio" name="method" checked={method === 'key'} onChange={() => setMethod('key')} /> The service API key
              </label>
            </fieldset>
          )}
          {method === 'token' && (
            <div class="field">
              <label for="token">Access token</label>
              <textarea id="token" rows={3} required autoComplete="off" spellcheck={false} value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
            </div>
          )}
          {method === 'key' && (
            <div class="field">
              <label for="key">Service API key</label>
              <input id="key" type="password" required autoComplete="off" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
            </div>
          )}
          {method !== 'token' && (
            <div class="field">
              <label for="user-id">Learner id</label>
              <input id="user-id" type="number" inputMode="numeric" min={1} step={1} required value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
              {method === 'open' && <p class="hint">This service has no sign-in (development): any learner id will do.</p>}
            </div>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Continue'}
          </button>
        </form>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </section>
  );
}
