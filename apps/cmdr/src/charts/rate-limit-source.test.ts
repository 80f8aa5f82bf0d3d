import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releaseValues } from '../deploy/deploy.ts';
import { findManifest } from '../manifests/parse.ts';
import { loadWorkspace } from '../projects.ts';
import { renderChart } from './render.ts';

// Issue 14: a Traefik rateLimit without sourceCriterion keys on the socket peer, which behind the ALB is
// the ALB node, so every fan shared one bucket per node. Each edge limit keys on the client address: the
// X-Forwarded-For element one ALB hop from the right, an IPv6 client as its /64 (a subscriber's prefix: one
// fan holds 2^64 addresses, and geo-reporting's own limiter keys IPv6 on the /64 too). (The same rules as
// helm-unittest suites live in charts/<app>/tests/; helm-unittest is not installed here, so this test renders
// with helm itself.)

const ws = loadWorkspace(join(import.meta.dirname, '../../../..'));
const http = ws.file.projects.filter((p) =>
  ['artist-api', 'webhook-dispatcher', 'geo-reporting', 'dashboard'].includes(p.name),
);
const cases = http.flatMap((project) =>
  Object.keys(project.environments).map((env) => ({
    project,
    env,
    values: releaseValues(ws, project, env, '2026.12.07-abc1234'),
  })),
);

describe.each(cases)('$project.name ($env) edge rate limit', ({ project, values }) => {
  it('keys on the client IP one ALB hop deep, IPv6 by its /64 (ipStrategy depth 1, ipv6Subnet 64)', async () => {
    const outcome = await renderChart(join(ws.root, project.chart), values, { release: project.name });
    expect(outcome.error).toBe('');
    const limit = findManifest(outcome.manifests, 'Middleware', `${project.name}-ratelimit`);
    expect(limit?.spec.rateLimit.sourceCriterion).toEqual({ ipStrategy: { depth: 1, ipv6Subnet: 64 } });
  });
});

describe('clientIpDepth', () => {
  it('follows the number of proxy hops in front of Traefik, and refuses 0', async () => {
    const chart = join(ws.root, 'charts/geo-reporting');
    const twoHops = await renderChart(chart, { ingress: { rateLimit: { average: 10, burst: 20, clientIpDepth: 2 } } });
    const limit = findManifest(twoHops.manifests, 'Middleware', 'geo-reporting-ratelimit');
    expect(limit?.spec.rateLimit.sourceCriterion).toEqual({ ipStrategy: { depth: 2, ipv6Subnet: 64 } });
    const zero = await renderChart(chart, { ingress: { rateLimit: { average: 10, burst: 20, clientIpDepth: 0 } } });
    expect(zero.ok).toBe(false);
    expect(zero.error).toContain('clientIpDepth');
  });
});
