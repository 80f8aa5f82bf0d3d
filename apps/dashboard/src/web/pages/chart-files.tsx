import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, qs } from '../api.ts';
import { CHART_ZONE_NOTE, formatDay, formatInstant, formatMoney, formatNumber } from '../format.ts';
import { reasonLabel } from '../reasons.ts';
import type { ChartDayLines, Page, SoldVsReported } from '../types.ts';
import { QueryView, scrollRegion } from '../ui.tsx';

const CHARTS = [
  { id: 'luminate', name: 'Luminate (US, Canada)' },
  { id: 'occ', name: 'OCC (UK, Ireland, France)' },
  { id: 'aria', name: 'ARIA (Australia)' },
];

function DayDetail({ chart, day }: { chart: string; day: string }) {
  const svr = useQuery({
    queryKey: ['svr-day', chart, day],
    queryFn: () => api<SoldVsReported>(`/api/sales/sold-vs-reported${qs({ chart, from: day, to: day })}`),
  });
  const lines = useQuery({
    queryKey: ['chart-lines', chart, day],
    queryFn: () => api<ChartDayLines>(`/api/sales/chart-lines${qs({ chart, date: day })}`),
  });
  return (
    <>
      <QueryView query={svr} what="what the file counted">
        {(d) => (
          <section className="card" aria-label={`What the file of ${formatDay(day)} counted`}>
            <h2>{formatDay(day)}</h2>
            <p>
              {formatNumber(d.reported)} of {formatNumber(d.sold)} units sold were counted; {formatNumber(d.pending)}{' '}
              wait; returns {formatNumber(d.returns.reported)} of {formatNumber(d.returns.total)} reported.
            </p>
            <ul>
              {d.excluded.map((e) => (
                <li key={e.reasonCode}>
                  Left out, {reasonLabel(e.reasonCode)} (<code>{e.reasonCode}</code>): {formatNumber(e.units)}
                </li>
              ))}
              {d.pendingByReason.map((e) => (
                <li key={`p-${e.reasonCode}`}>
                  Waiting, {reasonLabel(e.reasonCode)} (<code>{e.reasonCode}</code>): {formatNumber(e.units)}
                </li>
              ))}
            </ul>
          </section>
        )}
      </QueryView>
      <QueryView query={lines} what="the file's lines">
        {(d) => (
          <div className="table-wrap" {...scrollRegion("The file's lines")}>
            <table>
              <caption className="hint">
                Every line of {formatDay(day)} ({d.timeZone}){d.truncated ? ', the first 500' : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">In the file?</th>
                  <th scope="col">Release</th>
                  <th scope="col">UPC / ISRC</th>
                  <th scope="col">Where</th>
                  <th scope="col" className="num">
                    Net
                  </th>
                  <th scope="col" className="num">
                    Units
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.lines.map((l, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id of their own here
                  <tr key={i}>
                    <td>
                      {l.eligibility === 'eligible'
                        ? `Counted (${l.kind})`
                        : `${l.eligibility === 'pending' ? 'Waiting' : 'Left out'}: ${reasonLabel(l.reasonCode ?? 'unspecified')}`}
                    </td>
                    <td>{l.releaseTitle}</td>
                    <td>{l.upc ?? l.isrc}</td>
                    <td>{[l.country, l.zip].filter(Boolean).join(' ')}</td>
                    <td className="num">{formatMoney(l.netPrice, l.currency)}</td>
                    <td className="num">{formatNumber(l.units)}</td>
                  </tr>
                ))}
                {d.lines.length === 0 ? (
                  <tr>
                    <td colSpan={6}>No line on this day.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </>
  );
}

/** GET /v1/chart-files: a file the daily chart job stored, as far as it holds the account's lines. */
interface ChartFile {
  id: string;
  chart: string;
  businessDate: string;
  generatedAt: string;
  lines: number;
  sha256: string;
}

export default function ChartFiles() {
  const [chart, setChart] = useState('luminate');
  const [day, setDay] = useState<string | null>(null);
  const chartId = useId();
  // The files the chart job stored (never a recomputation): a day without a file is not offered.
  const files = useInfiniteQuery({
    queryKey: ['chart-files', chart],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api<Page<ChartFile>>(`/api/chart-files${qs({ chart, limit: 30, cursor: pageParam || undefined })}`),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    select: (data) => data.pages.flatMap((p) => p.items),
  });
  return (
    <>
      <div className="row">
        <div>
          <label htmlFor={chartId}>Chart</label>
          <select
            id={chartId}
            value={chart}
            onChange={(e) => {
              setChart(e.target.value);
              setDay(null);
            }}
          >
            {CHARTS.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="hint">
        The files the chart was sent, one per business day, with your lines as they were sent. {CHART_ZONE_NOTE}
      </p>
      <QueryView query={files} what="chart files">
        {(data) => (
          <div className="table-wrap" {...scrollRegion('Chart files')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Business day</th>
                  <th scope="col">File</th>
                  <th scope="col" className="num">
                    Your lines
                  </th>
                  <th scope="col">Generated</th>
                  <th scope="col">Lines</th>
                </tr>
              </thead>
              <tbody>
                {data.map((f) => (
                  <tr key={f.id}>
                    <td>{formatDay(f.businessDate)}</td>
                    <td>
                      <a href={`/api/chart-files/${f.id}`} download={`${f.chart}-${f.businessDate}.csv`}>
                        Download {f.chart}-{f.businessDate}.csv
                      </a>
                      <br />
                      <small className="hint">
                        sha256 <code>{f.sha256.slice(0, 12)}…</code>
                      </small>
                    </td>
                    <td className="num">{formatNumber(f.lines)}</td>
                    <td>{formatInstant(f.generatedAt)}</td>
                    <td>
                      <button
                        type="button"
                        aria-expanded={day === f.businessDate}
                        onClick={() => setDay(day === f.businessDate ? null : f.businessDate)}
                      >
                        What it counted
                      </button>
                    </td>
                  </tr>
                ))}
                {data.length === 0 ? (
                  <tr>
                    <td colSpan={5}>No file of this chart holds your sales yet.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {files.hasNextPage ? (
        <p>
          <button type="button" onClick={() => files.fetchNextPage()} disabled={files.isFetchingNextPage}>
            {files.isFetchingNextPage ? 'Loading…' : 'More files'}
          </button>
        </p>
      ) : null}
      {day ? <DayDetail chart={chart} day={day} /> : null}
    </>
  );
}
