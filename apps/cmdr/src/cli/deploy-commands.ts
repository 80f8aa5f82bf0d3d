import type { Command } from 'commander';
import { checkCharts } from '../charts/check.ts';
import { vendorLibraries } from '../charts/vendor.ts';
import { checkEach } from '../deploy/check-targets.ts';
import { type DeployResult, deploy, promoteEach, type TagSource } from '../deploy/deploy.ts';
import { CmdrError, ExitCode, usageError } from '../exit-codes.ts';
import { imagesFile } from '../images/record.ts';
import { chooseRegistry } from '../projects.ts';
import type { Context } from './context.ts';

function summary(result: DeployResult & { from?: string }): Record<string, unknown> {
  const { manifests: _manifests, ...rest } = result;
  return rest;
}

export function registerDeployCommands(program: Command, context: () => Context) {
  program
    .command('deploy')
    .description("helm upgrade --install a project (or `all`, in projects.yaml order) with an environment's values")
    .argument('<project>', 'a project of projects.yaml, or "all"')
    .requiredOption('--env <env>', 'environment of projects.yaml (e.g. staging)')
    .requiredOption('--tag <tag>', 'image tag to deploy (also DD_VERSION)')
    .option('--dry-run', 'render with helm template, validate and print the manifests; change nothing')
    .option('--git-sha <sha>', 'commit recorded in the release labels')
    .action(async (project: string, options: { env: string; tag: string; dryRun?: boolean; gitSha?: string }) => {
      const ctx = context();
      const ws = ctx.workspace();
      const names = project === 'all' ? ws.file.projects.map((p) => p.name) : [project];
      const registry = chooseRegistry(ws, undefined, ctx.io.env);
      if (!options.dryRun && names.length > 1) {
        // Every project's namespace and Secrets before the first upgrade: `all` never stops half-deployed, and
        // names what each project lacks, not only the first's.
        await checkEach(
          ws,
          names.map((name) => ({
            project: name,
            env: options.env,
            tag: options.tag,
            dryRun: false,
            checkOnly: true,
            stateFile: ctx.stateFile(),
            imagesFile: imagesFile(ctx.io.env, ws.root),
            registry,
          })),
        );
      }
      const results: DeployResult[] = [];
      for (const name of names) {
        ctx.output.info(`${options.dryRun ? 'rendering' : 'deploying'} ${name} ${options.tag} to ${options.env}`);
        results.push(
          await deploy(ws, {
            project: name,
            env: options.env,
            tag: options.tag,
            dryRun: options.dryRun === true,
            stateFile: ctx.stateFile(),
            imagesFile: imagesFile(ctx.io.env, ws.root),
            registry,
            ...(options.gitSha ? { gitSha: options.gitSha } : {}),
          }),
        );
      }
      ctx.output.result(
        results.map((r) => (options.dryRun ? { ...summary(r), manifests: r.manifests } : summary(r))),
        () =>
          options.dryRun
            ? results.map((r) => r.manifests ?? '').join('---\n')
            : results
                .map((r) => `deployed ${r.project} ${r.tag} to ${r.env} (${r.kubeContext}/${r.namespace})`)
                .join('\n'),
      );
    });

  program
    .command('promote')
    .description(
      'deploy to --to exactly the image (tag and digest) that runs in --from (`all`: every project, all checked first)',
    )
    .argument('<project>', 'a project of projects.yaml, or "all" (projects.yaml order)')
    .requiredOption('--from <env>', 'source environment (e.g. staging)')
    .requiredOption('--to <env>', 'target environment (e.g. production)')
    .option('--dry-run', 'render the target with helm template; change nothing')
    .option(
      '--tag-source <source>',
      'where the running tag is read: "cluster" (helm get values) or "state" (.cmdr/state.json, $CMDR_STATE_FILE)',
      'cluster',
    )
    .option('--expect-tag <tag>', 'refuse (before changing anything) unless --from runs this tag')
    .action(
      async (
        project: string,
        options: { from: string; to: string; dryRun?: boolean; tagSource: string; expectTag?: string },
      ) => {
        const ctx = context();
        if (options.tagSource !== 'cluster' && options.tagSource !== 'state') {
          throw usageError('--tag-source must be "cluster" or "state"');
        }
        const ws = ctx.workspace();
        const names = project === 'all' ? ws.file.projects.map((p) => p.name) : [project];
        const results = await promoteEach(
          ws,
          names,
          {
            from: options.from,
            to: options.to,
            dryRun: options.dryRun === true,
            tagSource: options.tagSource as TagSource,
            stateFile: ctx.stateFile(),
            imagesFile: imagesFile(ctx.io.env, ws.root),
            registry: chooseRegistry(ws, undefined, ctx.io.env),
            ...(options.expectTag !== undefined ? { expectTag: options.expectTag } : {}),
          },
          (name, tag) => ctx.output.info(`promoting ${name} ${tag}: ${options.from} -> ${options.to}`),
        );
        const shown = results.map((r) => (options.dryRun ? { ...summary(r), manifests: r.manifests } : summary(r)));
        // One project: one object, as before `all` existed; `all`: the list.
        ctx.output.result(project === 'all' ? shown : shown[0], () =>
          results
            .map((r) =>
              options.dryRun
                ? (r.manifests ?? '')
                : `promoted ${r.project} ${r.tag} from ${options.from} to ${options.to}`,
            )
            .join(options.dryRun ? '---\n' : '\n'),
        );
      },
    );

  const charts = program.command('charts').description('chart checks');

  charts
    .command('vendor')
    .description(
      "package each app chart's library dependency into its charts/ dir and write Chart.lock (after changing service-lib)",
    )
    .action(async () => {
      const ctx = context();
      const done = await vendorLibraries(ctx.workspace());
      ctx.output.result(done, () => done.map((d) => `vendored ${d.chart}/charts, ${d.chart}/Chart.lock`).join('\n'));
    });

  charts
    .command('check')
    .description('helm lint --strict, render and validate every chart with its defaults and each environment')
    .option('--tag <tag>', 'image tag to render with', 'ci-check')
    .action(async (options: { tag: string }) => {
      const ctx = context();
      const results = await checkCharts(ctx.workspace(), {
        tag: options.tag,
        onProgress: ctx.output.progress('charts'),
      });
      const failed = results.filter((r) => r.problems.length > 0);
      ctx.output.result(results, () =>
        results
          .map(
            (r) =>
              `${r.problems.length === 0 ? 'ok  ' : 'FAIL'} ${r.project} (${r.env}): ${r.objects} objects${r.problems.map((p) => `\n     ${p}`).join('')}`,
          )
          .join('\n'),
      );
      if (failed.length > 0) throw new CmdrError(`${failed.length} chart check(s) failed`, ExitCode.invalid);
    });
}
