import * as Plot from '@observablehq/plot';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useId, useState } from 'react';
import { truncatedNote } from '../all-pages.ts';
import { api, qs } from '../api.ts';
import {
  addDays,
  businessDayOf,
  CHART_ZONE_NOTE,
  formatDay,
  formatInstant,
  formatMoney,
  formatNumber,
  formatTickDay,
  todayInChartZone,
} from '../format.ts';
import { useReleases } from '../hooks.ts';
import { PlotFigure } from '../plot.tsx';
import { reasonLabel } from '../reasons.ts';
import type { Bucket, SalesSummary, SoldVsReported, WaitingPreorders } from '../types.ts';
import { QueryView, scrollRegion } from '../ui.tsx';

const RANGES = [
  { days: 7, label: 'Last 7 days' },
  { days: 28, label: 'Last 28 days' },
  { days: 90, label: 'Last 90 days' },
  { days: 365, label: 'Last 365 days' },
];

/** Fridays in the range: the US chart week starts on each. */
function chartWeekStarts(from: string, to: string): Date[] {
  const starts: Date[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const date = new Date(`${day}T00:00:00Z`);
    if (date.getUTCDay() === 5) starts.push(date);
  }
  return starts;
}

/** Every business day of the range with its bucket, if any: days without sales are drawn as zero. */
function everyDay(from: string, to: string, periods: Bucket[]) {
  const byDay = new Map(periods.map((p) => [p.key, p]));
  const days: { day: string; bucket: Bucket | undefined }[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push({ day, bucket: byDay.get(day) });
  return days;
}

/** The business days of the range, their ticks in the viewer's locale. */
function businessDayAxis(from: string, to: string) {
  return {
    type: 'utc' as const,
    label: 'Business day (America/New_York)',
    domain: [new Date(`${from}T00:00:00Z`), new Date(`${to}T00:00:00Z`)],
    tickFormat: formatTickDay,
  };
}

export default function Overview() {
  const [days, setDays] = useState(28);
  const [releaseId, setReleaseId] = useState('');
  const rangeId = useId();
  const releaseSelectId = useId();
  const to = todayInChartZone();
  const from = addDays(to, -(days - 1));
  const releases = useReleases();
  const summary = useQuery({
    queryKey: ['summary', from, to, releaseId],
    queryFn: () => api<SalesSummary>(`/api/sales/summary${qs({ from, to, releaseId, groupBy: 'day' })}`),
  });
  const reconciliation = useQuery({
    queryKey: ['svr', from, to, releaseId],
    queryFn: () => api<SoldVsReported>(`/api/sales/sold-vs-reported${qs({ from, to, releaseId, chart: 'luminate' })}`),
  });
  const waiting = useQuery({
    queryKey: ['preorders-waiting'],
    queryFn: () => api<WaitingPreorders>('/api/preorders/waiting'),
  });
  // A release is marked on the business day its sales are charted on (the axis is business days), and named
  // with its instant in the viewer's own zone.
  const markers = (releases.data?.items ?? [])
    .filter((r) => !releaseId || r.id === releaseId)
    .map((r) => ({ day: businessDayOf(r.releaseInstant), instant: r.releaseInstant, title: r.title }))
    .filter((m) => m.day >= from && m.day <= to)
    .map((m) => ({ ...m, date: new Date(`${m.day}T00:00:00Z`) }));
  const renderUnits = useCallback(() => {
    const rows = everyDay(from, to, summary.data?.periods ?? []).map(({ day, bucket }) => ({
      date: new Date(`${day}T00:00:00Z`),
      units: bucket?.units ?? 0,
    }));
    return Plot.plot({
      width: 900,
      height: 260,
      marginLeft: 48,
      x: businessDayAxis(from, to),
      y: { label: 'Units', grid: true, tickFormat: formatNumber },
      marks: [
        Plot.ruleX(chartWeekStarts(from, to), { stroke: '#ccc', strokeDasharray: '2,3' }),
        Plot.rectY(rows, {
          x: 'date',
          y: 'units',
          interval: 'day',
          fill: '#0b57d0',
          title: (d: { units: number }) => formatNumber(d.units),
        }),
        Plot.ruleX(markers, { x: 'date', stroke: '#a50e0e', strokeWidth: 2 }),
        Plot.text(markers, {
          x: 'date',
          text: 'title',
          frameAnchor: 'top',
          dy: 4,
          fill: '#a50e0e',
          textAnchor: 'start',
          dx: 3,
        }),
        Plot.ruleY([0]),
      ],
    });
  }, [summary.data, from, to, markers]);

  const currency = summary.data?.periods.find((p) => p.amounts[0])?.amounts[0]?.currency;
  const renderRevenue = useCallback(() => {
    const rows = everyDay(from, to, summary.data?.periods ?? []).map(({ day, bucket }) => ({
      date: new Date(`${day}T00:00:00Z`),
      revenue: Number(bucket?.amounts.find((a) => a.currency === currency)?.netAmount ?? 0),
    }));
    return Plot.plot({
      width: 900,
      height: 200,
      marginLeft: 56,
      x: businessDayAxis(from, to),
      y: { label: `Net revenue (${currency ?? '—'})`, grid: true, tickFormat: formatNumber },
      marks: [
        Plot.ruleX(chartWeekStarts(from, to), { stroke: '#ccc', strokeDasharray: '2,3' }),
        Plot.lineY(rows, { x: 'date', y: 'revenue', stroke: '#137333', curve: 'step' }),
        Plot.ruleX(markers, { x: 'date', stroke: '#a50e0e', strokeWidth: 2 }),
        Plot.ruleY([0]),
      ],
    });
  }, [summary.data, from, to, markers, currency]);

  return (
    <>
      <div className="row">
        <div>
          <label htmlFor={rangeId}>Period</label>
          <select id={rangeId} value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r.days} value={r.days}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={releaseSelectId}>Release</label>
          <select id={releaseSelectId} value={releaseId} onChange={(e) => setReleaseId(e.target.value)}>
            <option value="">All releases</option>
            {(releases.data?.items ?? []).map((r) => (
              <option key={r.id} value={r.id}>
                {r.title}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="hint">
        {formatDay(from)} – {formatDay(to)}. {CHART_ZONE_NOTE} Dashed lines: chart weeks; red: release days.
      </p>
      {releases.data?.truncated ? <p className="hint">{truncatedNote('releases')}</p> : null}
      {markers.length > 0 ? (
        <ul className="hint" data-testid="release-markers" aria-label="Release days">
          {markers.map((m) => (
            <li key={`${m.title}-${m.instant}`}>
              {m.title}: released {formatInstant(m.instant)}, business day {formatDay(m.day)}
            </li>
          ))}
        </ul>
      ) : null}
      <QueryView query={summary} what="sales">
        {(data) => {
          const units = data.periods.reduce((sum, p) => sum + p.units, 0);
          const totals = new Map<string, number>();
          for (const p of data.periods)
            for (const a of p.amounts) totals.set(a.currency, (totals.get(a.currency) ?? 0) + Number(a.netAmount));
          return (
            <>
              <div className="cards">
                <div className="card">
                  <div>Units sold</div>
                  <div className="figure" data-testid="units-sold">
                    {formatNumber(units)}
                  </div>
                </div>
                {[...totals].map(([cur, amount]) => (
                  <div className="card" key={cur}>
                    <div>Net revenue ({cur})</div>
                    <div className="figure" data-testid={`revenue-${cur}`}>
                      {formatMoney(amount, cur)}
                    </div>
                  </div>
                ))}
              </div>
              <h2>Units over time</h2>
              <PlotFigure render={renderUnits} label={`Units per business day, ${formatNumber(units)} in all`} />
              <h2>Revenue over time</h2>
              <PlotFigure render={renderRevenue} label="Net revenue per business day (America/New_York)" />
            </>
          );
        }}
      </QueryView>
      <h2>Sold vs reported (Luminate)</h2>
      <QueryView query={reconciliation} what="the chart reconciliation">
        {(svr) => (
          <>
            <div className="cards">
              <div className="card">
                <div>Sold</div>
                <div className="figure">{formatNumber(svr.sold)}</div>
              </div>
              <div className="card">
                <div>Reported</div>
                <div className="figure">{formatNumber(svr.reported)}</div>
              </div>
              <div className="card">
                <div>Waiting</div>
                <div className="figure">{formatNumber(svr.pending)}</div>
              </div>
              <div className="card">
                <div>Returns reported</div>
                <div className="figure">
                  {formatNumber(svr.returns.reported)} / {formatNumber(svr.returns.total)}
                </div>
              </div>
            </div>
            <div className="table-wrap" {...scrollRegion('Sold vs reported')}>
              <table>
                <caption className="hint">Why units were not reported</caption>
                <thead>
                  <tr>
                    <th scope="col">Reason</th>
                    <th scope="col">Code</th>
                    <th scope="col" className="num">
                      Units
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {[
                    ...svr.excluded.map((e) => ({ ...e, kind: 'left out' })),
                    ...svr.pendingByReason.map((e) => ({ ...e, kind: 'waiting' })),
                  ].map((e) => (
                    <tr key={`${e.kind}-${e.reasonCode}`}>
                      <td>
                        {reasonLabel(e.reasonCode)} ({e.kind})
                      </td>
                      <td>
                        <code>{e.reasonCode}</code>
                      </td>
                      <td className="num">{formatNumber(e.units)}</td>
                    </tr>
                  ))}
                  {svr.excluded.length + svr.pendingByReason.length === 0 ? (
                    <tr>
                      <td colSpan={3}>Every unit sold was reported.</td>
                    </tr>
                  ) : null}
                </tbody>
              </table>
            </div>
          </>
        )}
      </QueryView>
      <h2>Pre-orders waiting</h2>
      <QueryView query={waiting} what="pre-orders waiting">
        {(data) =>
          data.items.length === 0 ? (
            <p>No pre-order is waiting for its release.</p>
          ) : (
            <div className="table-wrap" {...scrollRegion('Pre-orders waiting')}>
              <table data-testid="preorders-waiting">
                <caption className="hint">Units sold and delivered at the release instant. {CHART_ZONE_NOTE}</caption>
                <thead>
                  <tr>
                    <th scope="col">Release</th>
                    <th scope="col" className="num">
                      Units waiting
                    </th>
                    <th scope="col">Delivered</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((r) => (
                    <tr key={r.releaseId}>
                      <th scope="row">{r.title}</th>
                      <td className="num">{formatNumber(r.units)}</td>
                      <td>
                        {formatInstant(r.releaseInstant)} (business day {formatDay(businessDayOf(r.releaseInstant))})
                      </td>
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
