import { useEffect, useState } from 'react';

/** Time left until an instant, ticking each second; "released" once it has passed. */
export function Countdown({ until }: { until: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const left = Date.parse(until) - now;
  if (left <= 0) return <span>released</span>;
  const s = Math.floor(left / 1000);
  const parts = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3_600), 'h'],
    [Math.floor((s % 3_600) / 60), 'm'],
    [s % 60, 's'],
  ] as const;
  const text = parts.map(([n, unit]) => `${n}${unit}`).join(' ');
  // The live text changes every second: announced only when asked for (no aria-live), labelled in full.
  return <time dateTime={until}>{text}</time>;
}
