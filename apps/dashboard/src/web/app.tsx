import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ComponentType, lazy, Suspense, useEffect, useRef } from 'react';
import { api, useSession } from './api.ts';
import { navigate, usePath } from './router.ts';
import { SignIn } from './sign-in.tsx';
import { ErrorBoundary, ErrorState, Link, Loading } from './ui.tsx';

interface Page {
  path: string;
  title: string;
  component: ComponentType;
}

// One lazy chunk per page (page-<name>-<hash>.js): a page loads only its own code.
export const pages: Page[] = [
  { path: '/', title: 'Overview', component: lazy(() => import('./pages/overview.tsx')) },
  { path: '/territories', title: 'Territories', component: lazy(() => import('./pages/territories.tsx')) },
  { path: '/releases', title: 'Releases', component: lazy(() => import('./pages/releases.tsx')) },
  { path: '/orders', title: 'Orders', component: lazy(() => import('./pages/orders.tsx')) },
  { path: '/deliveries', title: 'Deliveries', component: lazy(() => import('./pages/deliveries.tsx')) },
  { path: '/chart-files', title: 'Chart files', component: lazy(() => import('./pages/chart-files.tsx')) },
  { path: '/shops', title: 'Stores', component: lazy(() => import('./pages/shops.tsx')) },
  { path: '/api-keys', title: 'API keys', component: lazy(() => import('./pages/api-keys.tsx')) },
];

export function App() {
  const session = useSession();
  const path = usePath();
  const queryClient = useQueryClient();
  const firstPath = useRef(path);
  // After an in-app navigation, focus goes to the page's main region (announced by screen readers, and the
  // next Tab starts inside the page), as a full page load would do.
  useEffect(() => {
    if (path !== firstPath.current) document.getElementById('content')?.focus();
  }, [path]);
  const signOut = useMutation({
    mutationFn: () => api<void>('/auth/sign-out', { method: 'POST' }),
    onSuccess: async () => {
      queryClient.clear();
      await queryClient.invalidateQueries({ queryKey: ['session'] });
      navigate('/');
    },
  });
  if (session.isPending) return <Loading what="your session" />;
  if (session.isError) return <ErrorState error={session.error} what="your session" retry={() => session.refetch()} />;
  if (!session.data.signedIn) return <SignIn />;
  const page = pages.find((p) => p.path === path) ?? pages[0]!;
  const Component = page.component;
  document.title = `${page.title} · Single dashboard`;
  return (
    <div className="layout">
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header>
        <span className="brand">Single</span>
        <nav aria-label="Main">
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <Link to={p.path} current={p.path === page.path}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <span>{session.data.account?.name}</span>
          <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Sign out
          </button>
        </div>
      </header>
      <main id="content" tabIndex={-1}>
        <h1>{page.title}</h1>
        <ErrorBoundary resetKey={page.path}>
          <Suspense fallback={<Loading what="the page" />}>
            <Component />
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}
