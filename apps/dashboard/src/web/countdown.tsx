import { useEffect, useState } from 'react';
import { formatDuration } from './format.ts';

/** Time left until an instant in the viewer's locale, ticking each second; "released" once it has passed. */
export function Countdown({ until }: { until: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const left = Date.parse(until) - now;
  if (left <= 0) return <span>released</span>;
  const s = Math.floor(left / 1000);
  const duration = {
    days: Math.floor(s / 86_400),
    hours: Math.floor((s % 86_400) / 3_600),
    minutes: Math.floor((s % 3_600) / 60),
    seconds: s % 60,
  };
  // The live text changes every second: a timer (whose updates are announced only when asked for: no
  // aria-live), shown in the locale's short units and labelled in its full words ("3 days, 4 hours, ...").
  return (
    <time dateTime={until} role="timer" aria-label={formatDuration(duration, 'long')}>
      {formatDuration(duration)}
    </time>
  );
}
