// An ECR registry host: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn], or its dual-stack (IPv4 and IPv6)
// endpoint <account>.dkr-ecr[-fips].<region>.on.aws (.on.amazonwebservices.com.cn in China), either with an explicit
// port (:443). One definition for `images login` (which reads the token's region from it) and the placeholder
// refusal (which reads the account).
const ECR_HOST =
  /^(\d{12})\.(?:dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.(?:aws|amazonwebservices\.com\.cn))(?::\d{1,5})?$/;

/** The account and region of an ECR registry host, or undefined for any other host. */
export function parseEcrHost(host: string): { account: string; region: string } | undefined {
  const ecr = ECR_HOST.exec(host);
  if (!ecr) return undefined;
  return { account: ecr[1] ?? '', region: ecr[2] ?? ecr[3] ?? '' }; // the classic host's region, or the dual-stack one's
}
