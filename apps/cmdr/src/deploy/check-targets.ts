import { CmdrError, ExitCode } from '../exit-codes.ts';
import type { Workspace } from '../projects.ts';
import { type DeployOptions, deploy } from './deploy.ts';

/**
 * The check-only deploy of every target (render, validate, namespace, Secrets and keys, CRDs, digest) before
 * the first upgrade of a multi-project deploy or promotion. Every project is checked, not only up to the first
 * that fails: the operator learns in one run every Secret and key each project lacks. Fails once, naming each
 * project's problems (one failure: as it is; several: exit 4 unless all share another code). A cluster that
 * cannot be asked (exit 5) or a usage error is the same for every project: thrown at once.
 */
export async function checkEach(ws: Workspace, targets: readonly DeployOptions[]): Promise<void> {
  const failed: { project: string; error: CmdrError }[] = [];
  for (const target of targets) {
    try {
      await deploy(ws, { ...target, dryRun: false, checkOnly: true });
    } catch (error) {
      if (
        !(error instanceof CmdrError) ||
        error.exitCode === ExitCode.unavailable ||
        error.exitCode === ExitCode.usage
      ) {
        throw error;
      }
      failed.push({ project: target.project, error });
    }
  }
  const [first] = failed;
  if (first === undefined) return;
  if (failed.length === 1) throw first.error;
  const code = failed.every((f) => f.error.exitCode === first.error.exitCode)
    ? first.error.exitCode
    : ExitCode.conflict;
  // Projects that fail for the same reason (a namespace that does not exist) share one line.
  const byReason = new Map<string, string[]>();
  for (const { project, error } of failed) {
    const reason = error.message.replace(/^not deployed: /, '');
    byReason.set(reason, [...(byReason.get(reason) ?? []), project]);
  }
  throw new CmdrError(
    `not deployed: ${failed.length} of ${targets.length} projects are not ready, nothing upgraded:\n` +
      [...byReason].map(([reason, projects]) => `  - ${projects.join(', ')}: ${reason}`).join('\n'),
    code,
    failed.map(({ project, error }) => ({
      project,
      exitCode: error.exitCode,
      message: error.message,
      details: error.details,
    })),
  );
}
