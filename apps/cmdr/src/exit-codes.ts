/**
 * Exit codes scripts can rely on (documented in the README). Anything unexpected is 1.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  /** A precondition does not hold: e.g. promote with nothing deployed in the source environment. */
  conflict: 4,
  /** A server (PostgreSQL, Redis, RabbitMQ, Kubernetes via helm) could not be reached. */
  unavailable: 5,
  /** Rendered manifests or values failed validation. */
  invalid: 6,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that carries its exit code; the CLI prints its message (never a stack) and exits with it. */
export class CmdrError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly details: unknown;
  constructor(message: string, exitCode: ExitCodeValue, details?: unknown) {
    super(message);
    this.name = 'CmdrError';
    this.exitCode = exitCode;
    this.details = details;
  }
}

export const notFound = (message: string) => new CmdrError(message, ExitCode.notFound);
export const usageError = (message: string) => new CmdrError(message, ExitCode.usage);
