import { parseEcrHost } from '../ecr-host.ts';
import { CmdrError, ExitCode } from '../exit-codes.ts';
import { runTool } from '../run-tool.ts';
import { buildah } from './buildah.ts';

// The region a login token must come from is the registry host's (a token of another region is refused), so it is
// read from the host, not from $AWS_REGION.

export interface RegistryLogin {
  /** The host buildah logged in to (the registry's first component). */
  host: string;
  account: string;
  region: string;
}

/**
 * `aws ecr get-login-password --region <region> | buildah login --username AWS --password-stdin <host>`, without a
 * shell: the token (valid 12 hours) goes from one to the other's standard input, never into an argument, a log
 * or cmdr's output. buildah keeps it in its auth file ($REGISTRY_AUTH_FILE, else its default), where the
 * `images push` that follows finds it. The AWS credentials are the runner's (instance role, web identity, or
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), read by the AWS CLI as usual.
 */
export async function loginToRegistry(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryLogin> {
  const host = registry.split('/')[0] ?? registry;
  const ecr = parseEcrHost(host);
  if (!ecr) {
    throw new CmdrError(
      `${host} is not an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com or <account>.dkr-ecr.<region>.on.aws): ` +
        'cmdr images login gets an ECR ' +
        'token; log in to another registry with buildah login, or hand buildah an auth file as REGISTRY_AUTH_FILE',
      ExitCode.usage,
    );
  }
  const { account, region } = ecr;
  const aws = await runTool('aws', ['ecr', 'get-login-password', '--region', region], {
    env,
    missing: 'the AWS CLI is not installed (aws: apt-get install awscli, or AWS CLI v2)',
  });
  const token = aws.stdout.trim();
  if (aws.code !== 0 || token === '') {
    const said = (aws.stderr.trim() || 'no token printed').split('\n').slice(-5).join('\n');
    const unreachable = /could not connect|connect timeout|name resolution|endpoint url/i.test(said);
    throw new CmdrError(
      `aws ecr get-login-password --region ${region} failed (exit ${aws.code}): ${said}; not logged in to ${host}`,
      unreachable ? ExitCode.unavailable : ExitCode.failure,
    );
  }
  await buildah(['login', '--username', 'AWS', '--password-stdin', host], { env, input: token });
  return { host, account, region };
}
