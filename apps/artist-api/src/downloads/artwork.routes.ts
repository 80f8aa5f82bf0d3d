import send from '@fastify/send';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponses } from '../support/responses.ts';
import type { AudioStorage } from './storage.ts';

// A release's cover art, for the download email and the fan's page. Public, like a storefront's cover image:
// the release id is a uuid and the art is on the shop anyway. A release without stored art gets a plain
// placeholder (no text of the release in it), so neither the email nor the page shows a broken image.

const PLACEHOLDER = [
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 240" width="240" height="240">',
  '<rect width="240" height="240" fill="#1f2328"/>',
  '<circle cx="120" cy="120" r="72" fill="none" stroke="#9ca3af" stroke-width="8"/>',
  '<circle cx="120" cy="120" r="14" fill="#9ca3af"/>',
  '</svg>',
].join('');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerArtworkRoute(app: FastifyInstance, storage: AudioStorage) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/releases/:id/artwork',
    {
      schema: {
        tags: ['downloads'],
        summary: "A release's cover art (public)",
        description:
          'The stored `<releaseId>/artwork.jpg` (local storage sends it, a bucket answers 302 to a presigned URL), ' +
          'or a placeholder image (SVG) when the release has none. Linked from the download email and the page.',
        params: z.object({ id: z.string().max(100) }),
        response: {
          200: {
            description: 'The image',
            content: { 'image/jpeg': { schema: z.any() }, 'image/svg+xml': { schema: z.string() } },
          },
          302: z.undefined().describe('Redirect to the presigned URL (bucket storage)'),
          304: z.undefined().describe('Not modified'),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      reply.header('x-content-type-options', 'nosniff').header('cache-control', 'public, max-age=3600');
      const id = request.params.id.toLowerCase();
      const target = UUID.test(id) ? await storage.artwork?.(id) : undefined;
      if (target?.kind === 'redirect') return reply.redirect(target.url, 302);
      if (target?.kind === 'local') {
        const sent = await send(request.raw, `/${target.key}`, {
          root: target.root,
          cacheControl: false,
          index: false,
          dotfiles: 'deny',
          contentType: false,
        });
        if (sent.type === 'file') {
          return reply
            .code(sent.statusCode as 200 | 304)
            .headers(sent.headers)
            .header('content-type', 'image/jpeg')
            .send(sent.stream);
        }
        sent.stream.destroy();
      }
      return reply
        .type('image/svg+xml')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(PLACEHOLDER);
    },
  );
}
