import { crdModel } from './crds.ts';
import type { Manifest } from './parse.ts';
import { unknownFields } from './strict.ts';

// Every rendered object is validated against the OpenAPI schema of its kind: Kubernetes' own from
// `kubernetes-models` (generated from the Kubernetes OpenAPI spec), Traefik's CRDs (traefik.io/v1alpha1)
// from `@kubernetes-models/traefik`. Those validators check types, required fields, enums and formats.
// They accept unknown fields, so built-in kinds also go through `unknownFields` (strict.ts), what
// kubeconform's -strict does (kubeconform itself downloads its schemas at run time, which this build cannot).

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

export interface ValidationProblem {
  kind: string;
  name: string;
  message: string;
}

function modulePath(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!/^[A-Za-z]+$/.test(kind) || !/^v\d+(alpha\d+|beta\d+)?$/.test(version ?? '')) return undefined;
  if (group === 'traefik.io') return `@kubernetes-models/traefik/traefik.io/${version}/${kind}`;
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

const models = new Map<string, Promise<ModelClass | undefined>>();

function loadModel(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const crd = crdModel(apiVersion, kind);
  if (crd !== undefined) return Promise.resolve(crd);
  const path = modulePath(apiVersion, kind);
  if (path === undefined) return Promise.resolve(undefined);
  let model = models.get(path);
  if (model === undefined) {
    model = import(path).then(
      (mod: Record<string, ModelClass>) => mod[kind],
      () => undefined,
    );
    models.set(path, model);
  }
  return model;
}

/** Problems in the manifests; an unknown apiVersion/kind is a problem too (no schema, no deploy). */
export async function validateManifests(manifests: readonly Manifest[]): Promise<ValidationProblem[]> {
  const problems: ValidationProblem[] = [];
  for (const manifest of manifests) {
    const kind = String(manifest.kind);
    const name = String(manifest.metadata?.name ?? '<unnamed>');
    const Model = await loadModel(String(manifest.apiVersion), kind);
    if (Model === undefined) {
      problems.push({ kind, name, message: `no schema for ${manifest.apiVersion} ${kind}` });
      continue;
    }
    const { source: _source, ...object } = manifest;
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push({ kind, name, message: error instanceof Error ? error.message : String(error) });
    }
    for (const path of (await unknownFields(object)) ?? []) {
      problems.push({ kind, name, message: `unknown field ${path}` });
    }
  }
  return problems;
}
