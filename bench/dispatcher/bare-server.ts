// The baseline: a bare fastify route that reads the same raw body and answers like the dispatcher does,
// with nothing else (no HMAC, no database, no broker). Started as its own process, like the dispatcher.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/webhooks/shopify', async (request) => ({
  status: (request.body as Buffer).length > 0 ? 'accepted' : 'empty',
}));
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ listening: address })}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
