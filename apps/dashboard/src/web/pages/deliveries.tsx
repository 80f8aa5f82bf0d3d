import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, qs } from '../api.ts';
import { formatInstant, formatNumber } from '../format.ts';
import type { DeadLetter, Page, WebhookDelivery } from '../types.ts';
import { QueryView, scrollRegion } from '../ui.tsx';

const TOPICS = [
  'orders/create',
  'orders/paid',
  'orders/updated',
  'orders/cancelled',
  'refunds/create',
  'app/uninstalled',
];

function ReplayButton({ delivery }: { delivery: WebhookDelivery }) {
  const queryClient = useQueryClient();
  const replay = useMutation({
    mutationFn: () => api<{ outboxId: string }>(`/api/webhook-deliveries/${delivery.id}/replay`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['deliveries'] }),
  });
  if (!delivery.replayable) return <span className="hint">payload cleared</span>;
  return (
    <>
      <button
        type="button"
        onClick={() => replay.mutate()}
        disabled={replay.isPending}
        aria-label={`Replay ${delivery.topic} ${delivery.webhookId}`}
      >
        Replay
      </button>
      <span role="status">{replay.isSuccess ? ' Replay queued' : ''}</span>
      {replay.isError ? (
        <span className="error" role="alert">
          {' '}
          {replay.error.message}
        </span>
      ) : null}
    </>
  );
}

/** One dead letter back to its queue, with the session's own key: the artist API redrives only the account's. */
function RedriveButton({ letter }: { letter: DeadLetter }) {
  const queryClient = useQueryClient();
  const redrive = useMutation({
    mutationFn: (messageId: string) =>
      api<{ redriven: number }>(
        `/api/dead-letters/${encodeURIComponent(letter.queue)}/${encodeURIComponent(messageId)}/redrive`,
        { method: 'POST' },
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['dead-letters'] }),
  });
  const messageId = letter.messageId;
  if (messageId === null) return <span className="hint">no message id</span>;
  return (
    <>
      <button
        type="button"
        onClick={() => redrive.mutate(messageId)}
        disabled={redrive.isPending || redrive.isSuccess}
        aria-label={`Redrive ${letter.topic ?? 'message'} ${messageId}`}
      >
        Redrive
      </button>
      <span role="status">{redrive.isSuccess ? ' Redriven' : ''}</span>
      {redrive.isError ? (
        <span className="error" role="alert">
          {' '}
          {redrive.error.message}
        </span>
      ) : null}
    </>
  );
}

function DeadLetters() {
  const letters = useQuery({
    queryKey: ['dead-letters'],
    queryFn: () => api<{ items: DeadLetter[]; truncated: boolean }>('/api/dead-letters'),
  });
  return (
    <QueryView query={letters} what="dead letters">
      {(data) => (
        <>
          {data.items.length === 0 ? <p>No dead letter.</p> : null}
          {data.truncated ? (
            <p className="hint">
              The dead-letter queue holds more messages than one look reads: letters past them are not listed. Ask the
              platform's operators to drain it.
            </p>
          ) : null}
          {data.items.length > 0 ? (
            <div className="table-wrap" {...scrollRegion('Dead letters')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Queue</th>
                    <th scope="col">Topic</th>
                    <th scope="col">Store</th>
                    <th scope="col">Why</th>
                    <th scope="col" className="num">
                      Retries
                    </th>
                    <th scope="col">Redrive</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((d, i) => (
                    <tr key={`${d.queue} ${d.messageId ?? i}`} data-testid="dead-letter-row">
                      <td>{d.queue}</td>
                      <td>{d.topic}</td>
                      <td>{d.shopDomain}</td>
                      <td>{[d.reason, d.errorClass, d.errorMessage].filter(Boolean).join(': ')}</td>
                      <td className="num">{formatNumber(d.retryCount)}</td>
                      <td>
                        <RedriveButton letter={d} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </>
      )}
    </QueryView>
  );
}

export default function Deliveries() {
  const [topic, setTopic] = useState('');
  const [status, setStatus] = useState('');
  const ids = useId();
  const deliveries = useQuery({
    queryKey: ['deliveries', topic, status],
    queryFn: () => api<Page<WebhookDelivery>>(`/api/webhook-deliveries${qs({ topic, status, limit: 50 })}`),
  });
  return (
    <>
      <div className="row">
        <div>
          <label htmlFor={`${ids}-topic`}>Topic</label>
          <select id={`${ids}-topic`} value={topic} onChange={(e) => setTopic(e.target.value)}>
            <option value="">All topics</option>
            {TOPICS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${ids}-status`}>Status</label>
          <select id={`${ids}-status`} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            <option value="received">received</option>
            <option value="published">published</option>
            <option value="failed">failed</option>
          </select>
        </div>
      </div>
      <h2>Webhook log</h2>
      <QueryView query={deliveries} what="webhook deliveries">
        {(data) => (
          <div className="table-wrap" {...scrollRegion('Webhook log')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Topic</th>
                  <th scope="col">Store</th>
                  <th scope="col">Status</th>
                  <th scope="col">Replay</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((d) => (
                  <tr key={d.id} data-testid="delivery-row">
                    <td>{formatInstant(d.receivedAt)}</td>
                    <td>{d.topic}</td>
                    <td>{d.shopDomain}</td>
                    <td>
                      {d.status}
                      {d.pendingPublishes > 0 ? ` (${formatNumber(d.pendingPublishes)} waiting to publish)` : ''}
                    </td>
                    <td>
                      <ReplayButton delivery={d} />
                    </td>
                  </tr>
                ))}
                {data.items.length === 0 ? (
                  <tr>
                    <td colSpan={5}>No delivery matches.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <h2>Dead letters</h2>
      <DeadLetters />
    </>
  );
}
