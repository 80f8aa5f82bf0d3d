import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, qs } from '../api.ts';
import { addDays, CHART_ZONE_NOTE, formatDay, formatMoney, formatNumber, todayInChartZone } from '../format.ts';
import { reasonLabel } from '../reasons.ts';
import type { ChartDayLines, SoldVsReported } from '../types.ts';
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

export default function ChartFiles() {
  const [chart, setChart] = useState('luminate');
  const [day, setDay] = useState<string | null>(null);
  const chartId = useId();
  const today = todayInChartZone();
  // A chart's file covers the previous business day; the last fortnight's files, newest first.
  const days = Array.from({ length: 14 }, (_, i) => addDays(today, -(i + 1)));
  return (
    <>
      <div className="row">
        <div>
          <label htmlFor={chartId}>Chart</label>
          <select id={chartId} value={chart} onChange={(e) => setChart(e.target.value)}>
            {CHARTS.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="hint">One file per business day. {CHART_ZONE_NOTE}</p>
      <div className="table-wrap" {...scrollRegion('Chart files')}>
        <table>
          <thead>
            <tr>
              <th scope="col">Business day</th>
              <th scope="col">File</th>
              <th scope="col">Lines</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d}>
                <td>{formatDay(d)}</td>
                <td>
                  <a href={`/api/sales/chart.csv${qs({ chart, from: d, to: d })}`} download={`${chart}-${d}.csv`}>
                    Download {chart}-{d}.csv
                  </a>
                </td>
                <td>
                  <button type="button" aria-expanded={day === d} onClick={() => setDay(day === d ? null : d)}>
                    What it counted
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {day ? <DayDetail chart={chart} day={day} /> : null}
    </>
  );
}
