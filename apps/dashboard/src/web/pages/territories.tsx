import { useQuery } from '@tanstack/react-query';
import { geoAlbersUsa, geoEqualEarth, geoPath } from 'd3-geo';
import { useId, useMemo, useState } from 'react';
import { api, qs } from '../api.ts';
import { addDays, CHART_ZONE_NOTE, formatDay, formatMoney, formatNumber, todayInChartZone } from '../format.ts';
import { type Area, loadCountries, loadStates } from '../geo.ts';
import type { Bucket, SalesLocations, SalesSummary } from '../types.ts';
import { QueryView, scrollRegion } from '../ui.tsx';

const SOURCE_NAMES: Record<string, string> = {
  shipping_address: 'Shipping address',
  billing_address: 'Billing address',
  geo_capture: 'Checkout IP (geo capture)',
  browser_ip: 'Order browser IP',
  none: 'None',
};
const percent = new Intl.NumberFormat(navigator.languages, { style: 'percent', maximumFractionDigits: 1 });
const formatPercent = (share: number) => percent.format(share);

const WIDTH = 960;
const HEIGHT = 500;
// Sequential blues, light to dark; each step keeps a visible border (white strokes) for contrast.
const SCALE = ['#e8f0fe', '#c6dafc', '#8ab4f8', '#4285f4', '#1a56c7', '#0b3d91'];

function colourOf(units: number, max: number) {
  if (units <= 0 || max <= 0) return '#f1f1f1';
  const step = Math.min(SCALE.length - 1, Math.floor((units / max) * (SCALE.length - 1)));
  return SCALE[step]!;
}

function ChoroplethMap(props: {
  areas: Area[];
  byCode: Map<string, Bucket>;
  usa: boolean;
  selected: string | null;
  onSelect: (code: string) => void;
  label: string;
}) {
  const { areas, byCode, usa } = props;
  const paths = useMemo(() => {
    const projection = usa
      ? geoAlbersUsa().fitSize([WIDTH, HEIGHT], {
          type: 'GeometryCollection',
          geometries: areas.map((a) => a.geometry),
        } as Parameters<ReturnType<typeof geoAlbersUsa>['fitSize']>[1])
      : geoEqualEarth().fitSize([WIDTH, HEIGHT], { type: 'Sphere' });
    const path = geoPath(projection);
    return areas.map((a) => ({ ...a, d: path(a.geometry) ?? '' })).filter((a) => a.d);
  }, [areas, usa]);
  const max = Math.max(0, ...[...byCode.values()].map((b) => b.units));
  return (
    <div className="map">
      {/* biome-ignore lint/a11y/useSemanticElements: an SVG map groups its areas; a fieldset cannot hold SVG */}
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="group" aria-label={props.label}>
        {paths.map((a) => {
          const units = byCode.get(a.code)?.units ?? 0;
          return (
            // biome-ignore lint/a11y/useSemanticElements: an SVG shape cannot be a <button>; it takes its role and keys
            <path
              key={`${a.code}-${a.name}`}
              className={`area${props.selected === a.code ? ' selected' : ''}`}
              d={a.d}
              fill={colourOf(units, max)}
              role="button"
              tabIndex={units > 0 ? 0 : -1}
              aria-label={`${a.name}: ${formatNumber(units)} units`}
              aria-pressed={props.selected === a.code}
              onClick={() => props.onSelect(a.code)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  props.onSelect(a.code);
                }
              }}
            >
              <title>{`${a.name}: ${formatNumber(units)} units`}</title>
            </path>
          );
        })}
      </svg>
    </div>
  );
}

function TerritoryTable({ rows, names, caption }: { rows: Bucket[]; names: Map<string, string>; caption: string }) {
  return (
    <div className="table-wrap" {...scrollRegion(caption)}>
      <table>
        <caption className="hint">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Place</th>
            <th scope="col" className="num">
              Units
            </th>
            <th scope="col" className="num">
              Net
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((b) => (
            <tr key={b.key ?? 'unknown'}>
              <td>{b.key === null || b.key === '' ? 'Location unknown' : (names.get(b.key) ?? b.key)}</td>
              <td className="num">{formatNumber(b.units)}</td>
              <td className="num">{b.amounts.map((a) => formatMoney(a.netAmount, a.currency)).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function Territories() {
  const [view, setView] = useState<'world' | 'us'>('world');
  const [selected, setSelected] = useState<string | null>(null);
  const viewId = useId();
  const to = todayInChartZone();
  const from = addDays(to, -364);
  const level = view === 'world' ? 'country' : 'region';
  const summary = useQuery({
    queryKey: ['summary-territories', from, to, level],
    queryFn: () => api<SalesSummary>(`/api/sales/summary${qs({ from, to, level })}`),
  });
  const zips = useQuery({
    queryKey: ['summary-territories', from, to, 'postal'],
    queryFn: () => api<SalesSummary>(`/api/sales/summary${qs({ from, to, level: 'postal' })}`),
  });
  const located = useQuery({
    queryKey: ['locations', from, to],
    queryFn: () => api<SalesLocations>(`/api/sales/locations${qs({ from, to })}`),
  });
  const areas = useQuery({
    queryKey: ['areas', view],
    queryFn: view === 'world' ? loadCountries : loadStates,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const byCode = useMemo(
    () => new Map((summary.data?.territories ?? []).filter((b) => b.key).map((b) => [b.key!, b])),
    [summary.data],
  );
  const names = useMemo(() => new Map((areas.data ?? []).map((a) => [a.code, a.name])), [areas.data]);
  const selectedBucket = selected ? byCode.get(selected) : undefined;
  return (
    <>
      <div className="row">
        <div>
          <label htmlFor={viewId}>Map</label>
          <select
            id={viewId}
            value={view}
            onChange={(e) => {
              setView(e.target.value as 'world' | 'us');
              setSelected(null);
            }}
          >
            <option value="world">Countries</option>
            <option value="us">US states</option>
          </select>
        </div>
      </div>
      <p className="hint">
        Sales located from {formatDay(from)} to {formatDay(to)}. {CHART_ZONE_NOTE} A sale is located by its shipping
        address, else its billing address, else the checkout’s IP, else the order’s browser IP; sales without a location
        are counted under “Location unknown”. Select a place (click, or Tab and Enter) for its figures.
      </p>
      <QueryView query={summary} what="sales by place">
        {(data) => (
          <QueryView query={areas} what="the map">
            {(list) => (
              <>
                <ChoroplethMap
                  areas={list}
                  byCode={byCode}
                  usa={view === 'us'}
                  selected={selected}
                  onSelect={setSelected}
                  label={view === 'world' ? 'Units by country' : 'Units by US state'}
                />
                <section aria-live="polite" className="card" data-testid="territory-detail">
                  {selected ? (
                    <>
                      <h2>{names.get(selected) ?? selected}</h2>
                      <p>
                        {formatNumber(selectedBucket?.units ?? 0)} units
                        {selectedBucket?.amounts.length
                          ? `, ${selectedBucket.amounts.map((a) => formatMoney(a.netAmount, a.currency)).join(', ')} net`
                          : ''}
                      </p>
                    </>
                  ) : (
                    <p>No place selected.</p>
                  )}
                </section>
                <TerritoryTable
                  rows={[...data.territories].sort((a, b) => b.units - a.units)}
                  names={names}
                  caption={view === 'world' ? 'Units by country' : 'Units by region'}
                />
              </>
            )}
          </QueryView>
        )}
      </QueryView>
      <h2>How sales were located</h2>
      <QueryView query={located} what="location sources">
        {(data) => (
          <div className="table-wrap" {...scrollRegion('How sales were located')}>
            <table>
              <caption className="hint">Units sold by where their location came from, and how precise it is</caption>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Precision</th>
                  <th scope="col" className="num">
                    Units
                  </th>
                  <th scope="col" className="num">
                    Share
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.bySource.map((row) => (
                  <tr key={`${row.source}-${row.precision}`}>
                    <td>{SOURCE_NAMES[row.source] ?? row.source}</td>
                    <td>{row.precision === 'none' ? 'no location (reported, flagged)' : row.precision}</td>
                    <td className="num">{formatNumber(row.units)}</td>
                    <td className="num">{formatPercent(row.units / Math.max(1, data.units))}</td>
                  </tr>
                ))}
                {data.bySource.length === 0 ? (
                  <tr>
                    <td colSpan={4}>No sale located in this period.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <h2>Top ZIP codes</h2>
      <QueryView query={zips} what="ZIP codes">
        {(data) => {
          const top = data.territories
            .filter((b) => b.key?.startsWith('US-'))
            .sort((a, b) => b.units - a.units)
            .slice(0, 10)
            .map((b) => ({ ...b, key: b.key!.slice(3) }));
          return top.length === 0 ? (
            <p>No sale located to a US ZIP code yet.</p>
          ) : (
            <TerritoryTable rows={top} names={new Map()} caption="US ZIP codes with the most units" />
          );
        }}
      </QueryView>
    </>
  );
}
