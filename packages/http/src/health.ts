import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';

/** A dependency the service needs to do its work; `check` rejects or returns false when unreachable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
  timeoutMs?: number;
}

async function runCheck({ check, timeoutMs = 1_000 }: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().then((ok) => ok !== false), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthState {
  shuttingDown: boolean;
}

/** `/health/live`: the process answers. `/health/ready`: dependencies reachable and not shutting down. */
export function registerHealthRoutes(app: FastifyInstance, checks: readonly ReadinessCheck[], state: HealthState) {
  app.get('/health/live', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/health/ready', { logLevel: 'warn' }, async (_request, reply) => {
    const results = await Promise.all(checks.map(async (c) => [c.name, (await runCheck(c)) ? 'up' : 'down'] as const));
    const dependencies = Object.fromEntries(results);
    const ready = !state.shuttingDown && results.every(([, status]) => status === 'up');
    if (ready) return { status: 'ready', dependencies };
    // Not ready is an error answer like any other: problem+json, with which dependency is down.
    const code = state.shuttingDown ? 'shutting_down' : 'not_ready';
    return reply
      .code(503)
      .type(PROBLEM_CONTENT_TYPE)
      .send({
        type: `https://docs.single.example/problems/${code}`,
        title: state.shuttingDown ? 'Shutting down' : 'Not ready',
        status: 503,
        code,
        instance: '/health/ready',
        dependencies,
      });
  });
}
