import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type SessionState, setCsrfToken } from './api.ts';
import { useSearchParam } from './router.ts';

export function SignIn() {
  const queryClient = useQueryClient();
  const [apiKey, setApiKey] = useState('');
  // A one-time sign-in link that was used already, expired or whose key is gone comes back here.
  const signInParam = useSearchParam('sign_in');
  const linkRefused = signInParam === 'link_refused';
  // The artist API could not check the link's key: the link is not spent, following it again later works.
  const linkUnavailable = signInParam === 'link_unavailable';
  const signIn = useMutation({
    mutationFn: (key: string) => api<SessionState>('/auth/sign-in', { method: 'POST', body: { apiKey: key } }),
    onSuccess: (session) => {
      setCsrfToken(session.csrfToken);
      queryClient.setQueryData(['session'], session);
    },
  });
  return (
    <main className="sign-in">
      <h1>Single dashboard</h1>
      {linkRefused ? (
        <p className="error" role="alert">
          That sign-in link was used already or has expired: each link works once. Sign in with an API key.
        </p>
      ) : null}
      {linkUnavailable ? (
        <p className="error" role="alert">
          The sign-in link could not be checked just now. It is still good: try it again in a moment.
        </p>
      ) : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          signIn.mutate(apiKey.trim());
        }}
      >
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="apiKey"
          type="password"
          autoComplete="off"
          required
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value)}
        />
        <p className="hint">Kept on the server for this session only; never stored in the browser.</p>
        <button type="submit" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        {signIn.isError ? (
          <p className="error" role="alert">
            {signIn.error.message}
          </p>
        ) : null}
      </form>
    </main>
  );
}
