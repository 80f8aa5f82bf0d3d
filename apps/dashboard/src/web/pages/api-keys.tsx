import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../api.ts';
import { formatInstant } from '../format.ts';
import type { ApiKey } from '../types.ts';
import { QueryView, scrollRegion } from '../ui.tsx';

const SCOPES = ['read', 'write', 'admin'];

export default function ApiKeys() {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api<{ items: ApiKey[] }>('/api/api-keys') });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read']);
  const [secret, setSecret] = useState<string | null>(null);
  const nameId = useId();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['api-keys'] });
  const create = useMutation({
    mutationFn: () => api<ApiKey & { secret: string }>('/api/api-keys', { method: 'POST', body: { name, scopes } }),
    onSuccess: async (key) => {
      setSecret(key.secret);
      setName('');
      await refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api<void>(`/api/api-keys/${id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  return (
    <>
      <h2>New key</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setSecret(null);
          create.mutate();
        }}
      >
        <label htmlFor={nameId}>Name</label>
        <input id={nameId} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s}>
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
              />{' '}
              {s}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={create.isPending || scopes.length === 0}>
          Create key
        </button>
        {create.isError ? (
          <p className="error" role="alert">
            {create.error.message}
          </p>
        ) : null}
      </form>
      {secret ? (
        <div role="status">
          <p>Copy the key now: it is shown this once and never again.</p>
          <p className="secret" data-testid="new-secret">
            {secret}
          </p>
        </div>
      ) : null}
      <h2>Keys</h2>
      <QueryView query={keys} what="API keys">
        {(data) => (
          <div className="table-wrap" {...scrollRegion('API keys')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>{k.scopes.join(', ')}</td>
                    <td>{formatInstant(k.createdAt)}</td>
                    <td>{formatInstant(k.lastUsedAt)}</td>
                    <td>
                      {k.revokedAt ? (
                        `revoked ${formatInstant(k.revokedAt)}`
                      ) : (
                        <button
                          type="button"
                          className="danger"
                          aria-label={`Revoke ${k.name}`}
                          onClick={() => {
                            if (window.confirm(`Revoke ${k.name}? Anything using it stops working.`))
                              revoke.mutate(k.id);
                          }}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {revoke.isError ? (
        <p className="error" role="alert">
          {revoke.error.message}
        </p>
      ) : null}
    </>
  );
}
