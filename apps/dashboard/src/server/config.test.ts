import { describe, expect, it } from 'vitest';
import { dashboardEnv, secureCookies } from './config.ts';

describe('dashboard config', () => {
  it('makes the session cookie Secure everywhere but plain-http localhost', () => {
    expect(secureCookies('http://127.0.0.1:3005')).toBe(false);
    expect(secureCookies('http://localhost:3005')).toBe(false);
    expect(secureCookies('https://dashboard.single.example')).toBe(true);
    // Plain http on a real host is a deployment mistake: the cookie still insists on https.
    expect(secureCookies('http://dashboard.single.example')).toBe(true);
  });

  it('refuses a session secret shorter than 32 characters', () => {
    expect(dashboardEnv.SESSION_SECRET.safeParse('short').success).toBe(false);
    expect(dashboardEnv.SESSION_SECRET.safeParse('x'.repeat(32)).success).toBe(true);
  });
});
