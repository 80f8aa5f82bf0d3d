// RFC 9457 problem details with a stable machine-readable `code`. Clients switch on `code`, never on text.

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  /** Field-level problems, e.g. from schema validation. */
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    title: string,
    options: { detail?: string; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(options.detail ?? title);
    this.name = 'ProblemError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  toProblem(instance?: string): Problem {
    return {
      type: `https://docs.single.example/problems/${this.code}`,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.message !== this.title ? { detail: this.message } : {}),
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
