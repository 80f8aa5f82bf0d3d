import { ProblemError } from '@single/http';

/** One answer for "does not exist" and "belongs to another account": no oracle across tenants. */
export const notFound = (what = 'Resource') => new ProblemError(404, 'not_found', `${what} not found`);

export const conflict = (code: string, title: string, detail?: string) =>
  new ProblemError(409, code, title, detail ? { detail } : {});

export const unprocessable = (code: string, title: string, detail?: string) =>
  new ProblemError(422, code, title, detail ? { detail } : {});
