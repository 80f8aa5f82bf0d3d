import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The demo as a person runs it (interactive, still serving after its summary), signed in through the one-time
// link it prints: what that session can do is what the demo's user gets. A small storm keeps it quick.

const demoDir = fileURLToPath(new URL('..', import.meta.url));

/** Starts the demo and resolves with what it printed once it says it is still serving. */
function startDemo(dataDir: string): { child: ChildProcess; printed: Promise<string> } {
  const env: NodeJS.ProcessEnv = { ...process.env, DD_TRACE_ENABLED: 'false' };
  for (const name of ['DATABASE_URL', 'RABBITMQ_URL', 'REDIS_URL', 'KAFKA_BROKERS']) delete env[name];
  const child = spawn(
    process.execPath,
    [
      '--import',
      '@single/tracing/register',
      'dist/main.js',
      '--orders',
      '3',
      '--downloads',
      '0',
      '--data-dir',
      dataDir,
    ],
    { cwd: demoDir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const printed = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('Still serving')) resolve(out);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-4000);
    });
    child.on('exit', (code) => reject(new Error(`demo exited (${code}) before serving:\n${out}\n${err}`)));
  });
  return { child, printed };
}

/** The BFF's session cookie from a Set-Cookie answer, as a Cookie header. */
function sessionCookie(response: Response): string {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('single_dashboard='));
  if (!cookie) throw new Error(`no session cookie (status ${response.status})`);
  return cookie.split(';')[0] as string;
}

describe('the demo’s one-time dashboard link', () => {
  let dataDir: string;
  let demo: ReturnType<typeof startDemo> | undefined;
  let link: string;

  beforeAll(async () => {
    if (!existsSync(path.join(demoDir, 'dist', 'main.js'))) throw new Error('build first: pnpm exec turbo run build');
    dataDir = await mkdtemp(path.join(tmpdir(), 'single-demo-link-'));
    demo = startDemo(dataDir);
    const printed = await demo.printed;
    const match = /dashboard \(one-time link\)\s+(http:\/\/127\.0\.0\.1:\d+\/auth\/link\/[\w-]{43})/.exec(printed);
    if (!match?.[1]) throw new Error(`no sign-in link in the summary:\n${printed}`);
    link = match[1];
  }, 120_000);

  afterAll(async () => {
    const child = demo?.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("signs in as the label's admin, not ops, and that session creates an API key; Stores → Connect says Shopify is not configured", async () => {
    const origin = new URL(link).origin;
    const signIn = await fetch(link, { redirect: 'manual' });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/');
    const cookie = sessionCookie(signIn);

    const session = await fetch(`${origin}/auth/session`, { headers: { cookie } });
    const state = (await session.json()) as { signedIn: boolean; account: { name: string }; csrfToken: string };
    expect(state).toMatchObject({ signedIn: true, account: { name: 'Harbour Lights Records' } });
    const headers = { cookie, 'x-csrf-token': state.csrfToken, 'content-type': 'application/json' };

    // API keys → Create key (the dashboard's request): the old demo key got 403 "requires scope admin".
    const created = await fetch(`${origin}/api/api-keys`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'from the demo', scopes: ['read'] }),
    });
    const body = (await created.json()) as { key?: string; secret?: string; name?: string };
    expect(created.status, JSON.stringify(body)).toBe(201);
    expect(body.name).toBe('from the demo');
    const keys = (await (await fetch(`${origin}/api/api-keys`, { headers })).json()) as { items: { name: string }[] };
    expect(keys.items.map((k) => k.name)).toContain('from the demo');

    // Stores → Connect: the old demo key was sent back with ?error=insufficient_scope. Now the key may install,
    // and the answer is exactly the demo's: no Shopify app configured (no SHOPIFY_CLIENT_ID/SECRET), no store.
    const connect = await fetch(`${origin}/shopify/connect`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ shop: 'another-label.myshopify.com', _csrf: state.csrfToken }).toString(),
    });
    expect(connect.status).toBe(303);
    expect(connect.headers.get('location')).toBe(
      '/shops?error=shopify_not_configured&shop=another-label.myshopify.com',
    );
    expect(connect.headers.get('set-cookie') ?? '').not.toContain('single_shopify_install');

    const me = (await (await fetch(`${origin}/api/me`, { headers })).json()) as { apiKey: { scopes: string[] } };
    expect(me.apiKey.scopes).toContain('admin');
    expect(me.apiKey.scopes).not.toContain('ops');
  });
});
