import { z } from 'zod';

/** RFC 9457 problem details as every error answers them (see @single/http). */
export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('Stable machine-readable code'),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose()
  .meta({ id: 'Problem' });

const problemResponse = {
  description: 'Problem details (application/problem+json)',
  content: { 'application/problem+json': { schema: problem } },
};

/** The error answers every authenticated route may give, for the OpenAPI document. */
export const problemResponses = {
  400: problemResponse,
  401: problemResponse,
  403: problemResponse,
  404: problemResponse,
  409: problemResponse,
  422: problemResponse,
  429: problemResponse,
} as const;
