// Throughput of resolveClientIp for the chains production sees (fan -> ALB -> Traefik -> app), next to a naive
// `split(',')[0]` X-Forwarded-For read as the baseline. Run: `node bench/trusted-proxy/resolve-client-ip.ts`
// (Node 24 strips the types; the package is imported from source so no build is needed).
// Exits with code 1 when a scenario is below TARGET_OPS_PER_SECOND.

import { compileTrustedProxies, resolveClientIp } from '../../packages/trusted-proxy/src/index.ts';

const TARGET_OPS_PER_SECOND = 500_000;
const WARM_UP_MS = 300;
const MEASURE_MS = 500;
const ROUNDS = 3;
const VARIANTS = 256;

// ALB subnets and the Traefik pod network, IPv4 and IPv6.
const trusted = compileTrustedProxies(['10.0.0.0/16', '10.42.0.0/16', 'fd00:10::/32']);

type Request = { remoteAddress: string; headers: Record<string, string> };
type Options = { headerSource?: 'x-forwarded-for' | 'forwarded' };

/** Distinct clients per scenario, so the benchmark does not replay one string. */
const clientV4 = (i: number) => `203.0.${(i >> 8) & 255}.${i & 255}`;
const clientV6 = (i: number) => `2001:db8:85a3::8a2e:${(i + 1).toString(16)}:7334`;

// Traefik (the socket peer) reaches the app over a dual-stack socket; the ALB appended the fan, Traefik the ALB.
const scenarios: { name: string; options: Options; requests: Request[] }[] = [
  {
    name: 'X-Forwarded-For IPv4 fan, ALB; peer ::ffff:Traefik',
    options: {},
    requests: Array.from({ length: VARIANTS }, (_, i) => ({
      remoteAddress: '::ffff:10.42.1.7',
      headers: { 'x-forwarded-for': `${clientV4(i)}, 10.0.${i & 3}.34`, 'x-forwarded-proto': 'https' },
    })),
  },
  {
    name: 'X-Forwarded-For IPv6 fan, ALB; peer Traefik IPv6',
    options: {},
    requests: Array.from({ length: VARIANTS }, (_, i) => ({
      remoteAddress: 'fd00:10::42:7',
      headers: { 'x-forwarded-for': `${clientV6(i)}, fd00:10::a:${i & 3}` },
    })),
  },
  {
    name: 'Forwarded IPv6 fan, ALB; peer ::ffff:Traefik',
    options: { headerSource: 'forwarded' },
    requests: Array.from({ length: VARIANTS }, (_, i) => ({
      remoteAddress: '::ffff:10.42.1.7',
      headers: { forwarded: `for="[${clientV6(i)}]:4711";proto=https, for=10.0.${i & 3}.34;by=10.42.1.7` },
    })),
  },
];

/** The naive read this package replaces: the first element of the same header, trusting whatever the fan sent. */
function naiveFirstElement(request: Request, header: string): string | undefined {
  return request.headers[header]?.split(',')[0]?.trim() ?? request.remoteAddress;
}

let sink = 0;

/** Runs `operation` over the requests for about `durationMs`; returns operations per second. */
function measure(requests: Request[], operation: (request: Request) => number, durationMs: number): number {
  let operations = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < requests.length; i++) sink += operation(requests[i]!);
    operations += requests.length;
    now = process.hrtime.bigint();
  }
  return operations / (Number(now - start) / 1e9);
}

const best = (requests: Request[], operation: (request: Request) => number) => {
  measure(requests, operation, WARM_UP_MS);
  let top = 0;
  for (let round = 0; round < ROUNDS; round++) top = Math.max(top, measure(requests, operation, MEASURE_MS));
  return top;
};

const format = (opsPerSecond: number) => `${Math.round(opsPerSecond).toLocaleString('en-US')} ops/s`.padStart(17);

// Sanity check before timing: each scenario resolves the fan, not a proxy.
for (const { name, options, requests } of scenarios) {
  const result = resolveClientIp(requests[0]!, trusted, options);
  if (result.clientIp === null || trusted.has(result.clientIp)) {
    throw new Error(`${name}: expected a client, got ${JSON.stringify(result)}`);
  }
}

console.log(
  `node ${process.version}, ${VARIANTS} request variants, best of ${ROUNDS} x ${MEASURE_MS} ms after warm-up\n`,
);
const width = Math.max(...scenarios.map(({ name }) => name.length));
let failed = false;
for (const { name, options, requests } of scenarios) {
  const ours = best(requests, (request) => resolveClientIp(request, trusted, options).chain.length);
  const header = options.headerSource ?? 'x-forwarded-for';
  const baseline = best(requests, (request) => naiveFirstElement(request, header)?.length ?? 0);
  const verdict = ours >= TARGET_OPS_PER_SECOND ? 'ok' : `BELOW TARGET ${TARGET_OPS_PER_SECOND}`;
  if (ours < TARGET_OPS_PER_SECOND) failed = true;
  console.log(
    `${name.padEnd(width)}  resolveClientIp ${format(ours)}  baseline split(',')[0] ${format(baseline)}  ` +
      `baseline/ours ${(baseline / ours).toFixed(1).padStart(5)}x  ${verdict}`,
  );
}
if (sink === 0) console.log('(unreachable: keeps results observable)');
if (failed) process.exitCode = 1;
