import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { releaseValues } from '../deploy/deploy.ts';
import { secretNeeds } from '../deploy/preflight.ts';
import { findManifest } from '../manifests/parse.ts';
import { validateManifests } from '../manifests/validate.ts';
import { getProject, loadWorkspace } from '../projects.ts';
import { REPO_ROOT } from '../test-support/run.ts';
import { renderChart } from './render.ts';

// helm renders and the schema models load slowly on a loaded two-core machine.
vi.setConfig({ testTimeout: 30_000 });

// The optional ExternalSecret of service-lib (external-secrets.io/v1): off by default; on, it makes the app's
// Secret with exactly the keys the pods read, before the migrations Job, and cmdr's cluster check leaves that
// Secret to it.
const ws = loadWorkspace(REPO_ROOT);
const externalSecret = {
  enabled: true,
  secretStoreRef: { name: 'aws-secrets-manager', kind: 'ClusterSecretStore' },
  remoteKey: 'single/staging/artist-api',
};

describe.each(ws.file.projects.map((p) => p.name))('%s: ExternalSecret', (name) => {
  const project = getProject(ws, name);
  const values = releaseValues(ws, project, 'staging', 'es-test');

  it('is not rendered by default', async () => {
    const outcome = await renderChart(join(REPO_ROOT, project.chart), values, { release: name });
    expect(outcome.error).toBe('');
    expect(findManifest(outcome.manifests, 'ExternalSecret')).toBeUndefined();
  });

  it('when enabled, makes the Secret the pods read, key by key, as a hook before the migrations Job', async () => {
    const outcome = await renderChart(join(REPO_ROOT, project.chart), { ...values, externalSecret }, { release: name });
    expect(outcome.error).toBe('');
    expect(await validateManifests(outcome.manifests)).toEqual([]);
    const es = findManifest(outcome.manifests, 'ExternalSecret');
    const secretName = (values.secrets as { name?: string } | undefined)?.name ?? name;
    expect(es?.metadata.name).toBe(secretName);
    expect(es?.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-10',
    });
    expect(es?.spec.secretStoreRef).toEqual({ name: 'aws-secrets-manager', kind: 'ClusterSecretStore' });
    expect(es?.spec.target).toMatchObject({ name: secretName, creationPolicy: 'Orphan', deletionPolicy: 'Retain' });
    // Exactly the keys the workloads reference, each from the property of the same name.
    const withoutEs = outcome.manifests.filter((m) => m.kind !== 'ExternalSecret');
    const read = [...(secretNeeds(withoutEs).get(secretName)?.keys ?? [])].sort();
    expect(read.length).toBeGreaterThan(0);
    expect(es?.spec.data.map((d: { secretKey: string }) => d.secretKey).sort()).toEqual(read);
    for (const d of es?.spec.data ?? []) {
      expect(d.remoteRef).toEqual({ key: 'single/staging/artist-api', property: d.secretKey });
    }
    // cmdr deploy's cluster check does not ask for a Secret the release itself makes.
    expect(secretNeeds(outcome.manifests).has(secretName)).toBe(false);
  });
});

describe('ExternalSecret values', () => {
  it('are refused without a store or a remote key, naming what is missing', async () => {
    const project = getProject(ws, 'artist-api');
    const outcome = await renderChart(
      join(REPO_ROOT, project.chart),
      { ...releaseValues(ws, project, 'staging', 'es-test'), externalSecret: { enabled: true } },
      { release: 'artist-api' },
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain("missing properties 'secretStoreRef', 'remoteKey'");
  });

  it('a misplaced field in the rendered ExternalSecret is refused by the validator', async () => {
    const problems = await validateManifests([
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: 'x' },
        spec: { secretStoreRef: { name: 's' }, data: [{ secretKey: 'A', remoteRef: { key: 'k' }, property: 'A' }] },
      },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('Unrecognized key: "property"');
  });
});
