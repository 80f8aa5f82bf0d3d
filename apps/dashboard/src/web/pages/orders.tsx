import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, qs } from '../api.ts';
import { formatInstant, formatMoney, formatNumber } from '../format.ts';
import type { OrderDetail, OrderSummary, Page } from '../types.ts';
import { QueryView, scrollRegion } from '../ui.tsx';

function OrderView({ id }: { id: string }) {
  const order = useQuery({ queryKey: ['order', id], queryFn: () => api<OrderDetail>(`/api/orders/${id}`) });
  return (
    <QueryView query={order} what="the order">
      {(o) => (
        <section className="card" aria-label={`Order ${o.name}`}>
          <h2>Order {o.name}</h2>
          <dl className="facts">
            <dt>Store</dt>
            <dd>{o.shopDomain}</dd>
            <dt>Payment</dt>
            <dd>
              {o.financialStatus}
              {o.cancelledAt ? `, cancelled ${formatInstant(o.cancelledAt)}` : ''}
              {o.test ? ' (test order)' : ''}
            </dd>
            <dt>Placed</dt>
            <dd>{formatInstant(o.shopifyCreatedAt)}</dd>
            <dt>Fulfilment</dt>
            <dd>{o.fulfillmentState.replaceAll('_', ' ')}</dd>
          </dl>
          <h3>Lines</h3>
          <div className="table-wrap" {...scrollRegion('Order lines')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col" className="num">
                    Qty
                  </th>
                  <th scope="col" className="num">
                    Refunded
                  </th>
                  <th scope="col" className="num">
                    Price
                  </th>
                  <th scope="col">Grants and downloads</th>
                </tr>
              </thead>
              <tbody>
                {o.lines.map((l) => (
                  <tr key={l.id}>
                    <td>{l.releaseTitle ?? (l.unmapped ? `Not mapped (${l.sku ?? 'no SKU'})` : l.sku)}</td>
                    <td className="num">{formatNumber(l.quantity)}</td>
                    <td className="num">{formatNumber(l.refundedQuantity)}</td>
                    <td className="num">{formatMoney(l.price, o.currency)}</td>
                    <td>
                      {l.grants.length === 0
                        ? '—'
                        : l.grants.map((g) => (
                            <div key={g.id}>
                              {g.status}: {formatNumber(g.downloadsUsed)} of {formatNumber(g.downloadLimit)} downloads
                              {g.firstDownloadAt ? `, first ${formatInstant(g.firstDownloadAt)}` : ''}
                              {g.activateAt && g.status === 'scheduled' ? `, from ${formatInstant(g.activateAt)}` : ''}
                              {g.revokedAt ? `, revoked ${formatInstant(g.revokedAt)}` : ''}
                            </div>
                          ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>Emails</h3>
          <ul>
            {o.emails.map((e) => (
              <li key={e.id}>
                {e.kind}: {e.status}
                {e.sentAt ? ` ${formatInstant(e.sentAt)}` : ''} ({formatNumber(e.attempts)} attempts)
              </li>
            ))}
            {o.emails.length === 0 ? <li>No email.</li> : null}
          </ul>
          <h3>Fulfilments in Shopify</h3>
          <ul>
            {o.fulfillments.map((f) => (
              <li key={f.id}>
                {f.status}, {formatNumber(f.attempts)} attempts, {formatInstant(f.updatedAt)}
              </li>
            ))}
            {o.fulfillments.length === 0 ? <li>None.</li> : null}
          </ul>
        </section>
      )}
    </QueryView>
  );
}

export default function Orders() {
  const [search, setSearch] = useState('');
  const [submitted, setSubmitted] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const searchId = useId();
  // The newest orders a page at a time (the API's cursor), or the artist API's exact search by order name or
  // the fan's email.
  const orders = useInfiniteQuery({
    queryKey: ['orders', submitted],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api<Page<OrderSummary>>(
        submitted
          ? `/api/orders/search${qs({ q: submitted })}`
          : `/api/orders${qs({ limit: 50, cursor: pageParam || undefined })}`,
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    select: (data) => data.pages.flatMap((p) => p.items),
  });
  return (
    <>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setSubmitted(search.trim());
          setOpen(null);
        }}
      >
        <div>
          <label htmlFor={searchId}>Order name or email</label>
          <input
            id={searchId}
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="#1001 or fan@example.com"
          />
        </div>
        <button type="submit">Search</button>
      </form>
      <QueryView query={orders} what="orders">
        {(data) => (
          <div className="table-wrap" {...scrollRegion('Orders')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">Store</th>
                  <th scope="col">Payment</th>
                  <th scope="col">Placed</th>
                </tr>
              </thead>
              <tbody>
                {data.map((o) => (
                  <tr key={o.id}>
                    <td>
                      <button
                        type="button"
                        aria-expanded={open === o.id}
                        onClick={() => setOpen(open === o.id ? null : o.id)}
                      >
                        {o.name}
                      </button>
                    </td>
                    <td>{o.shopDomain}</td>
                    <td>
                      {o.financialStatus}
                      {o.cancelledAt ? ', cancelled' : ''}
                    </td>
                    <td>{formatInstant(o.shopifyCreatedAt)}</td>
                  </tr>
                ))}
                {data.length === 0 ? (
                  <tr>
                    <td colSpan={4}>No order found.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {orders.hasNextPage ? (
        <p>
          <button type="button" onClick={() => orders.fetchNextPage()} disabled={orders.isFetchingNextPage}>
            {orders.isFetchingNextPage ? 'Loading…' : 'More orders'}
          </button>
        </p>
      ) : null}
      {open ? <OrderView id={open} /> : null}
    </>
  );
}
