import { z } from 'zod';

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Every problem with the environment, one line per variable, never the offending value (it may be a secret). */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function describe(issue: z.core.$ZodIssue): string {
  const name = issue.path.map(String).join('.') || '(root)';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${name}: is required`;
  return `${name}: ${issue.message}`;
}

/** Parses the environment once; empty strings count as unset so that `FOO=` takes the default. */
export function loadConfig<Shape extends z.ZodRawShape>(shape: Shape, env: EnvSource): z.infer<z.ZodObject<Shape>> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    // Blank (or only spaces, as a templated .env leaves it) means not set: the default applies.
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.map(describe));
  return result.data;
}

/** For main.ts: print every problem and exit non-zero instead of starting half-configured. */
export function loadConfigOrExit<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: EnvSource,
  exit: (code: number) => never = process.exit,
): z.infer<z.ZodObject<Shape>> {
  try {
    return loadConfig(shape, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return exit(78); // EX_CONFIG
    }
    throw error;
  }
}
