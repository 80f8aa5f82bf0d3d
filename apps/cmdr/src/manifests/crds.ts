import { z } from 'zod';

// Schemas for the custom resources the charts may render beyond Kubernetes' and Traefik's own (which come
// from kubernetes-models and @kubernetes-models/traefik). Written from the operators' CRDs for the fields
// those CRDs define that our templates use or a values override could reach; strict, so an unknown or
// misplaced field is refused as for built-in kinds. No npm package of these models is installed here.

const metadata = z.looseObject({ name: z.string().min(1) });
const duration = z.string().regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/, 'a Go duration such as 1h or 30m');

/** external-secrets.io/v1 ExternalSecret (External Secrets Operator 0.16+). */
const externalSecret = z.strictObject({
  apiVersion: z.literal('external-secrets.io/v1'),
  kind: z.literal('ExternalSecret'),
  metadata,
  spec: z.strictObject({
    refreshInterval: duration.optional(),
    secretStoreRef: z.strictObject({
      name: z.string().min(1),
      kind: z.enum(['SecretStore', 'ClusterSecretStore']).optional(),
    }),
    target: z
      .strictObject({
        name: z.string().min(1).optional(),
        creationPolicy: z.enum(['Owner', 'Orphan', 'Merge', 'None']).optional(),
        deletionPolicy: z.enum(['Delete', 'Merge', 'Retain']).optional(),
        immutable: z.boolean().optional(),
      })
      .optional(),
    data: z
      .array(
        z.strictObject({
          secretKey: z.string().regex(/^[-._a-zA-Z0-9]+$/, 'a Secret key'),
          remoteRef: z.strictObject({
            key: z.string().min(1),
            property: z.string().min(1).optional(),
            version: z.string().min(1).optional(),
          }),
        }),
      )
      .optional(),
  }),
});

const schemas: Record<string, z.ZodType> = {
  'external-secrets.io/v1/ExternalSecret': externalSecret,
};

/** A model class for `validate.ts` (same shape as kubernetes-models'), or undefined for a kind not here. */
export function crdModel(apiVersion: string, kind: string): (new (data: unknown) => { validate(): void }) | undefined {
  const schema = schemas[`${apiVersion}/${kind}`];
  if (schema === undefined) return undefined;
  return class {
    readonly data: unknown;
    constructor(data: unknown) {
      this.data = data;
    }
    validate() {
      const result = schema.safeParse(this.data);
      if (!result.success) {
        throw new Error(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
      }
    }
  };
}
