import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are checked by the validator, not typed
  spec?: any;
  data?: Record<string, string>;
  /** The template that produced it (helm's `# Source:` comment). */
  source?: string;
}

/** Splits `helm template` output into objects; empty documents are dropped. */
export function parseManifests(yamlText: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML in rendered output: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value === null || typeof value !== 'object') continue;
    const source = /# Source: (\S+)/.exec(doc.commentBefore ?? '')?.[1];
    manifests.push(source === undefined ? value : { ...value, source });
  }
  return manifests;
}

export function findManifest(manifests: readonly Manifest[], kind: string, name?: string): Manifest | undefined {
  return manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
}
