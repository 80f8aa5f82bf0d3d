import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { api, useSession } from '../api.ts';
import { formatInstant } from '../format.ts';
import { installNotice } from '../install-notice.ts';
import { useSearchParam } from '../router.ts';
import type { Shop } from '../types.ts';
import { QueryView, scrollRegion } from '../ui.tsx';

const STATES: Record<Shop['installState'], string> = {
  installed: 'Connected',
  uninstalled: 'Uninstalled',
  redacted: 'Uninstalled (data erased)',
};

export default function Shops() {
  const session = useSession();
  const shops = useQuery({ queryKey: ['shops'], queryFn: () => api<{ items: Shop[] }>('/api/shops') });
  const shop = useSearchParam('shop');
  const error = useSearchParam('error');
  // "X is connected" only once the account's shops list shows X installed, never from the address alone.
  const notice = installNotice({ connected: useSearchParam('connected'), shop, error }, shops.data?.items);
  const domainId = useId();
  const hintId = useId();
  return (
    <>
      {notice.connected ? (
        <p className="notice" role="status">
          {notice.connected} is connected: its orders now reach this account.
        </p>
      ) : null}
      <h2>Connect a store</h2>
      {/*
        A full form post, not fetch: the BFF answers with a redirect to Shopify's authorization page, and
        Shopify brings the browser back here once the merchant approved.
      */}
      <form method="post" action="/shopify/connect">
        <input type="hidden" name="_csrf" value={session.data?.csrfToken ?? ''} />
        <label htmlFor={domainId}>Shop domain</label>
        <input
          id={domainId}
          name="shop"
          required
          maxLength={255}
          placeholder="your-store.myshopify.com"
          defaultValue={error ? (shop ?? '') : ''}
          aria-describedby={hintId}
          aria-invalid={error ? true : undefined}
          autoComplete="off"
          spellCheck={false}
        />
        <p className="hint" id={hintId}>
          You approve the app on Shopify, then come back here.
        </p>
        <button type="submit" className="primary">
          Connect
        </button>
        {notice.error ? (
          <p className="error" role="alert">
            {notice.error}
          </p>
        ) : null}
      </form>
      <h2>Stores</h2>
      <QueryView query={shops} what="stores">
        {(data) =>
          data.items.length === 0 ? (
            <p>No store connected yet.</p>
          ) : (
            <div className="table-wrap" {...scrollRegion('Stores')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Store</th>
                    <th scope="col">State</th>
                    <th scope="col">Installed</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((s) => (
                    <tr key={s.id}>
                      <td>{s.domain}</td>
                      <td>{STATES[s.installState]}</td>
                      <td>{formatInstant(s.installedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </>
  );
}
