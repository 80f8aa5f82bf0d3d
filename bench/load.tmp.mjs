import autocannon from 'autocannon';
let n=0;
const r = await autocannon({ url: process.argv[2]+'/v1/geo/captures', connections: 64, duration: 6, requests:[{method:'POST', setupRequest:(q)=>({...q, body: JSON.stringify({shopDomain:'single-demo.myshopify.com',checkoutToken:'c1a2b3c4d5e6f708192a3b4c5d6e7f80'}), headers:{'content-type':'application/json','x-forwarded-for':`81.2.${(n>>8)&255}.${(n++)&255}`}})}]});
console.log(r.requests.average, r.non2xx);
