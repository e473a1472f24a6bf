import { useEffect, useState } from 'preact/hooks';
import { learnerApi } from '../../../src/client/api.js';
import { ApiError, type Credentials } from '../../../src/client/http.js';
import type { SignedIn } from '../app.js';
import { plainWords } from '../../../src/client/plain-words.js';
import { ViewHeading } from './heading.js';

interface AppConfig {
  auth: { token: boolean; key: boolean; admin_key: boolean };
}

type Method = 'token' | 'key' | 'admin' | 'open';

const lastLearnerKey = 'ai-tutor.last-learner';

const methodWords = { token: 'An access token', key: 'The service API key (as a learner)', admin: 'The admin API key (the teacher view)' };

/**
 * Signing in: a user id when the service has no authentication (development), a token when it verifies tokens (a
 * learner's, a teacher's or an admin's), or, outside production, the service key and a learner id (a platform team's
 * demo) or the admin key (the teacher view).
 */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (who: SignedIn) => void; notice?: string }) {
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
        setMethod(loaded.auth.token ? 'token' : loaded.auth.key ? 'key' : loaded.auth.admin_key ? 'admin' : 'open');
      })
      .catch(() => setError('The tutor service cannot be reached. Reload the page to try again.'));
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const id = Number(userId);
    if ((method === 'key' || method === 'open') && !(Number.isInteger(id) && id > 0)) {
      setError('The learner id is a whole number, 1 or more.');
      return;
    }
    const credentials: Credentials =
      method === 'token'
        ? { kind: 'token', token: secret.trim(), userId: 0 }
        : method === 'key' || method === 'admin'
          ? { kind: 'key', key: secret.trim(), userId: method === 'key' ? id : 0 }
          : { kind: 'open', userId: id };
    setBusy(true);
    try {
      // The service says whether the token or key is good, and whom a token signs in.
      const caller = await learnerApi(credentials).me();
      if (method === 'key' && caller.kind !== 'service') throw new ApiError(401, 'unauthorized', 'That is not the service key.');
      if (method === 'admin' && caller.kind !== 'admin') throw new ApiError(401, 'unauthorized', 'That is not the admin key.');
      if (method === 'key' || method === 'open') localStorage.setItem(lastLearnerKey, String(id));
      onSignedIn({ credentials: credentials.kind === 'token' ? { ...credentials, userId: caller.user_id! } : credentials, caller });
    } catch (failure) {
      setError(plainWords(failure));
    } finally {
      setBusy(false);
    }
  };

  const methods = config ? (['token', 'key', 'admin'] as const).filter((candidate) => (candidate === 'admin' ? config.auth.admin_key : config.auth[candidate])) : [];
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
          {methods.length > 1 && (
            <fieldset>
              <legend>Sign in with</legend>
              {methods.map((candidate) => (
                <label class="choice" key={candidate}>
                  <input type="radio" name="method" checked={method === candidate} onChange={() => setMethod(candidate)} /> {methodWords[candidate]}
                </label>
              ))}
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
          {method === 'admin' && (
            <div class="field">
              <label for="admin-key">Admin API key</label>
              <input id="admin-key" type="password" required autoComplete="off" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
            </div>
          )}
          {(method === 'key' || method === 'open') && (
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
