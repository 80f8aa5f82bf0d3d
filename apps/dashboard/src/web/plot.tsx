import { useEffect, useRef } from 'react';

/** Mounts an Observable Plot figure (an SVG element) and replaces it when its inputs change. */
export function PlotFigure({ render, label }: { render: () => SVGSVGElement | HTMLElement; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const figure = render();
    figure.setAttribute('role', 'img');
    figure.setAttribute('aria-label', label);
    // The figure is one image with its own label: Plot's per-mark labels ("rule", "line") on plain groups
    // are prohibited ARIA there and say nothing a listener needs.
    for (const element of figure.querySelectorAll('[aria-label]')) element.removeAttribute('aria-label');
    ref.current?.replaceChildren(figure);
    return () => figure.remove();
  }, [render, label]);
  return <div className="chart" ref={ref} />;
}
