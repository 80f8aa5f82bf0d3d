// scratch (deleted after): drives a running capture server like captures.ts does
import autocannon from 'autocannon';
import { publicAddresses } from './addresses.ts';
const { v4, v6 } = publicAddresses(2_048);
const clients = v4.flatMap((ip, i) => (i % 4 === 3 ? [v6[i]!] : [ip]));
const body = JSON.stringify({ shopDomain: 'single-demo.myshopify.com', checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80' });
let n = 0;
const r = await autocannon({ url: `${process.argv[2]}/v1/geo/captures`, method: 'POST', connections: Number(process.env.CONNS ?? 64), duration: Number(process.argv[3] ?? 8),
  requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body, headers: { 'content-type': 'application/json', 'x-forwarded-for': `${clients[n++ % clients.length]}` } }) }] });
console.log(r.requests.average, r.non2xx);
