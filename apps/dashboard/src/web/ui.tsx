import { Component, type ReactNode } from 'react';
import { navigate } from './router.ts';

/**
 * A table's wrapper scrolls sideways at a phone's width: a focusable, named region, so that a keyboard can scroll it
 * too (WCAG 2.1.1; axe's scrollable-region-focusable).
 */
export const scrollRegion = (label: string) => ({ tabIndex: 0, role: 'region', 'aria-label': label }) as const;

export function Loading({ what }: { what: string }) {
  return (
    <p className="status" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** What failed, why, and a retry (which brings the loading state back while it runs). */
export function ErrorState(props: { error: unknown; what?: string; retry?: () => void }) {
  const message = props.error instanceof Error ? props.error.message : 'Something went wrong';
  return (
    <div className="error" role="alert">
      <p>
        Could not load {props.what ?? 'this'}: {message}
      </p>
      {props.retry ? (
        <button type="button" onClick={props.retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Loading, error or the content of one query. */
export function QueryView<T>(props: {
  query: { isPending: boolean; isError: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  what: string;
  children: (data: T) => ReactNode;
}) {
  const { query } = props;
  if (query.isPending) return <Loading what={props.what} />;
  if (query.isError) return <ErrorState error={query.error} what={props.what} retry={() => query.refetch()} />;
  return <>{props.children(query.data as T)}</>;
}

export function Link(props: { to: string; children: ReactNode; current?: boolean }) {
  return (
    <a
      href={props.to}
      aria-current={props.current ? 'page' : undefined}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

/** A page that throws while rendering shows its error instead of taking the whole app down. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: unknown }> {
  override state: { error: unknown } = { error: null };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override componentDidUpdate(previous: { resetKey: string }) {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }
  override render() {
    if (this.state.error)
      return <ErrorState error={this.state.error} what="the page" retry={() => this.setState({ error: null })} />;
    return this.props.children;
  }
}
