import { useState } from 'react';
import { truncatedNote } from '../all-pages.ts';
import { Countdown } from '../countdown.tsx';
import { businessDayOf, formatDay, formatInstant, formatNumber } from '../format.ts';
import { useReleases } from '../hooks.ts';
import { Mappings } from '../mappings.tsx';
import type { Release } from '../types.ts';
import { QueryView, scrollRegion } from '../ui.tsx';

function statusOf(release: Release, now: number) {
  if (Date.parse(release.releaseInstant) > now) return release.preorder ? 'Pre-order' : 'Announced';
  return 'Released';
}

const regionNames = new Intl.DisplayNames(navigator.languages, { type: 'region' });

function ReleaseDetail({ release }: { release: Release }) {
  const upcoming = Date.parse(release.releaseInstant) > Date.now();
  return (
    <div className="card">
      <dl className="facts">
        <dt>UPC</dt>
        <dd>{release.upc}</dd>
        <dt>Release instant</dt>
        <dd>
          {formatInstant(release.releaseInstant)} (business day {formatDay(businessDayOf(release.releaseInstant))})
          {upcoming ? (
            <>
              {' '}
              (in <Countdown until={release.releaseInstant} />)
            </>
          ) : null}
        </dd>
        <dt>Territories</dt>
        <dd>
          {release.territories.length === 0
            ? 'Worldwide'
            : release.territories.map((t) => regionNames.of(t) ?? t).join(', ')}
        </dd>
        <dt>Download limit</dt>
        <dd>
          {formatNumber(release.downloadLimit)} downloads, links expire after {formatNumber(release.downloadExpiryDays)}{' '}
          days
        </dd>
      </dl>
      <h3>Tracks</h3>
      <div className="table-wrap" {...scrollRegion('Tracks')}>
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Title</th>
              <th scope="col">ISRC</th>
              <th scope="col">Available</th>
            </tr>
          </thead>
          <tbody>
            {release.tracks.map((t) => {
              const instant = t.releaseInstant ?? release.releaseInstant;
              return (
                <tr key={t.id}>
                  <td>{t.position}</td>
                  <td>{t.title}</td>
                  <td>{t.isrc}</td>
                  <td>
                    {formatInstant(instant)}
                    {t.releaseInstant && t.releaseInstant < release.releaseInstant ? ' (instant grat)' : ''}
                    {Date.parse(instant) > Date.now() ? (
                      <>
                        {' '}
                        — <Countdown until={instant} />
                      </>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Mappings release={release} />
    </div>
  );
}

export default function Releases() {
  const releases = useReleases();
  const [open, setOpen] = useState<string | null>(null);
  const now = Date.now();
  return (
    <QueryView query={releases} what="releases">
      {(data) =>
        data.items.length === 0 ? (
          <p>No release yet.</p>
        ) : (
          <>
            {data.truncated ? (
              <p className="hint" role="note">
                {truncatedNote('releases (newest first)')}
              </p>
            ) : null}
            <ul className="plain">
              {data.items.map((r) => (
                <li key={r.id}>
                  <h2>
                    <button
                      type="button"
                      aria-expanded={open === r.id}
                      aria-controls={`release-${r.id}`}
                      onClick={() => setOpen(open === r.id ? null : r.id)}
                    >
                      {r.title} · {statusOf(r, now)}
                    </button>
                  </h2>
                  <div id={`release-${r.id}`} hidden={open !== r.id}>
                    {open === r.id ? <ReleaseDetail release={r} /> : null}
                  </div>
                </li>
              ))}
            </ul>
          </>
        )
      }
    </QueryView>
  );
}
