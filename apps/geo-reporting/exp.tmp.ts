import { createHttpApp } from '@single/http';
import { createLogger } from '@single/logger';
import Fastify from 'fastify';
const mode = process.env.EXP!;
const logger = createLogger({ level: 'warn' });
const app = mode === 'bare' ? Fastify() : mode === 'pino' ? Fastify({ loggerInstance: logger as never }) : createHttpApp({ logger }).app;
app.post('/v1/geo/captures', async (_r, reply) => reply.code(204).send());
console.log(JSON.stringify({ listening: await app.listen({ host: '127.0.0.1', port: 0 }) }));
process.once('SIGTERM', () => process.exit(0));
