import { CmdrError, ExitCode } from '../exit-codes.ts';
import { runTool } from '../run-tool.ts';
import { buildah } from './buildah.ts';

// An ECR registry host: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn], or its dual-stack (IPv4 and IPv6)
// endpoint <account>.dkr-ecr[-fips].<region>.on.aws (.on.amazonwebservices.com.cn in China), either with an explicit
// port (:443), as `images push` accepts them. Its region is the one a login token must come from (a token of
// another region is refused), so it is read from the host, not from $AWS_REGION.
const ECR_HOST =
  /^(\d{12})\.(?:dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.(?:aws|amazonwebservices\.com\.cn))(?::\d{1,5})?$/;

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
  const ecr = ECR_HOST.exec(host);
  if (!ecr) {
    throw new CmdrError(
      `${host} is not an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com or <account>.dkr-ecr.<region>.on.aws): ` +
        'cmdr images login gets an ECR ' +
        'token; log in to another registry with buildah login, or hand buildah an auth file as REGISTRY_AUTH_FILE',
      ExitCode.usage,
    );
  }
  const account = ecr[1] ?? '';
  const region = ecr[2] ?? ecr[3] ?? ''; // the classic host's, or the dual-stack one's
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
