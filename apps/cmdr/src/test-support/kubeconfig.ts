import { stringify } from 'yaml';

/** A kubeconfig whose staging and production contexts both reach a fake API server on 127.0.0.1:`port`. */
export function fakeKubeconfig(port: number): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node speaks plain HTTP only to a cluster marked insecure (kubectl accepts the same file).
    clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'deployer', user: { token: 'fake-token' } }],
    contexts: ['single-staging', 'single-production'].map((name) => ({
      name,
      context: { cluster: 'fake', user: 'deployer', namespace: 'single' },
    })),
    'current-context': 'single-staging',
  });
}
