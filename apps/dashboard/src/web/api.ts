import { useQuery } from '@tanstack/react-query';

/** A problem+json answer from the BFF or the artist API behind it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, title: string, code?: string, detail?: string) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.code = code;
  }
}

let csrfToken: string | undefined;
export const setCsrfToken = (token: string | undefined) => {
  csrfToken = token;
};

/** JSON from the BFF. Changes carry the session's CSRF token; the cookie is http-only and same-site. */
export async function api<T>(url: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data = parseJson(text);
  if (!response.ok) {
    throw new ApiError(response.status, data?.title ?? response.statusText, data?.code, data?.detail);
  }
  if (text && data === undefined) throw new ApiError(response.status, 'Unexpected answer', 'unexpected_answer');
  return data as T;
}

/**
 * The body as JSON, or undefined: an error page from a proxy in front (HTML from the ingress, a plain-text 502)
 * must surface as the status it came with, not as a JSON syntax error.
 */
function parseJson(text: string): (Record<string, string | undefined> & object) | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, string | undefined>) : undefined;
  } catch {
    return undefined;
  }
}

export interface SessionState {
  signedIn: boolean;
  account: { id: string; kind: string; name: string } | null;
  csrfToken: string;
}

export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      const session = await api<SessionState>('/auth/session');
      setCsrfToken(session.csrfToken);
      return session;
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** Query string from the defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
