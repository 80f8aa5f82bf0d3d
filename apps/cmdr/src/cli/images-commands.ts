import type { Command } from 'commander';
import { buildImages, imageTargets, pushImages } from '../images/images.ts';
import { loginToRegistry } from '../images/login.ts';
import { imagesFile } from '../images/record.ts';
import { chooseRegistry, isPlaceholderRegistry, placeholderRegistryError } from '../projects.ts';
import type { Context } from './context.ts';

interface ImagesOptions {
  tag: string;
  registry?: string;
}

export function registerImagesCommands(program: Command, context: () => Context) {
  const images = program
    .command('images')
    .description("build and push each app's image (buildah) and record its digest for deploy and promote");
  const registryHelp = 'registry to name and push to (default: $CMDR_REGISTRY, else projects.yaml registry)';

  images
    .command('login')
    .description(
      'log buildah in to the ECR registry (aws ecr get-login-password | buildah login --password-stdin): before push',
    )
    .option('--registry <registry>', registryHelp)
    .action(async (options: { registry?: string }) => {
      const ctx = context();
      const { registry, source } = chooseRegistry(ctx.workspace(), options.registry, ctx.io.env);
      if (isPlaceholderRegistry(registry)) throw placeholderRegistryError(registry, source, 'not logged in');
      const login = await loginToRegistry(registry, ctx.io.env);
      ctx.output.result(login, () => `logged in to ${login.host} (ECR, ${login.region}) for buildah`);
    });

  images
    .command('build')
    .description('buildah bud docker/Dockerfile for each project (all by default) as registry/image:tag')
    .argument('[projects...]', 'projects of projects.yaml (default: all)')
    .requiredOption('--tag <tag>', 'image tag (the release version, e.g. the commit)')
    .option('--registry <registry>', registryHelp)
    .action(async (names: string[], options: ImagesOptions) => {
      const ctx = context();
      const ws = ctx.workspace();
      const { registry } = chooseRegistry(ws, options.registry, ctx.io.env);
      const targets = imageTargets(ws, names, options.tag, registry);
      const built = await buildImages(ws, targets, (line) => ctx.output.info(line));
      ctx.output.result(built, () => built.map((b) => `built ${b.image} in ${b.seconds} s`).join('\n'));
    });

  images
    .command('push')
    .description('push each built image and record the digest the registry serves it under')
    .argument('[projects...]', 'projects of projects.yaml (default: all)')
    .requiredOption('--tag <tag>', 'image tag built by `cmdr images build`')
    .option('--registry <registry>', registryHelp)
    .option('--insecure-registry', 'plain HTTP or an unverified certificate (a local test registry only)')
    .action(async (names: string[], options: ImagesOptions & { insecureRegistry?: boolean }) => {
      const ctx = context();
      const ws = ctx.workspace();
      const { registry, source } = chooseRegistry(ws, options.registry, ctx.io.env);
      if (isPlaceholderRegistry(registry)) throw placeholderRegistryError(registry, source, 'nothing pushed');
      const targets = imageTargets(ws, names, options.tag, registry);
      const recordFile = imagesFile(ctx.io.env, ws.root);
      const pushed = await pushImages(
        targets,
        options.tag,
        { tlsVerify: options.insecureRegistry !== true, recordFile },
        (line) => ctx.output.info(line),
      );
      ctx.output.result(pushed, () =>
        [...pushed.map((p) => `pushed ${p.repository}:${p.tag} as ${p.image}`), `recorded in ${recordFile}`].join('\n'),
      );
    });
}
