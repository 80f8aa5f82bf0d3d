import { useEffect, useRef } from 'react';

/** Mounts an Observable Plot figure (an SVG element) and replaces it when its inputs change. */
export function PlotFigure({ render, label }: { render: () => SVGSVGElement | HTMLElement; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const figure = render();
    figure.setAttribute('role', 'img');
    figure.setAttribute('aria-label', label);
    ref.current?.replaceChildren(figure);
    return () => figure.remove();
  }, [render, label]);
  return <div className="chart" ref={ref} />;
}
