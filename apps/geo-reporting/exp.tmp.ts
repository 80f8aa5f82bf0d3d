import { createHttpApp } from '@single/http';
import { createLogger } from '@single/logger';
import rateLimit from '@fastify/rate-limit';
const mode = process.env.EXP!;
const logger = createLogger({ level: 'warn' });
const { app } = createHttpApp({ logger });
if (mode === 'rl') {
  await app.register(rateLimit, { global: false });
  app.post('/v1/geo/captures', { config: { rateLimit: { max: 1e6, timeWindow: 60000, keyGenerator: (r: any) => r.headers['x-forwarded-for'] } } }, async (_r, reply) => reply.code(204).send());
} else if (mode === 'hdr') {
  app.post('/v1/geo/captures', async (_r, reply) => reply.code(204).headers({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' }).send());
} else {
  app.post('/v1/geo/captures', async (_r, reply) => reply.code(204).send());
}
console.log(JSON.stringify({ listening: await app.listen({ host: '127.0.0.1', port: 0 }) }));
process.once('SIGTERM', () => process.exit(0));
