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

/** keda.sh/v1alpha1 TriggerAuthentication (KEDA 2.x): parameters read from a Secret. */
const triggerAuthentication = z.strictObject({
  apiVersion: z.literal('keda.sh/v1alpha1'),
  kind: z.literal('TriggerAuthentication'),
  metadata,
  spec: z.strictObject({
    secretTargetRef: z
      .array(z.strictObject({ parameter: z.string().min(1), name: z.string().min(1), key: z.string().min(1) }))
      .min(1),
  }),
});

/** keda.sh/v1alpha1 ScaledObject (KEDA 2.x) with rabbitmq triggers: the only scaler the charts use. */
const scaledObject = z.strictObject({
  apiVersion: z.literal('keda.sh/v1alpha1'),
  kind: z.literal('ScaledObject'),
  metadata,
  spec: z.strictObject({
    scaleTargetRef: z.strictObject({
      apiVersion: z.string().min(1).optional(),
      kind: z.string().min(1).optional(),
      name: z.string().min(1),
    }),
    minReplicaCount: z.number().int().min(0).optional(),
    maxReplicaCount: z.number().int().min(1).optional(),
    pollingInterval: z.number().int().min(1).optional(),
    cooldownPeriod: z.number().int().min(0).optional(),
    triggers: z
      .array(
        z.strictObject({
          type: z.literal('rabbitmq'),
          metadata: z.strictObject({
            protocol: z.enum(['amqp', 'http', 'auto']).optional(),
            mode: z.enum(['QueueLength', 'MessageRate']),
            // KEDA reads every metadata value as a string.
            queueName: z.string().min(1),
            value: z.string().regex(/^\d+(\.\d+)?$/, 'a number, as a string'),
            vhostName: z.string().optional(),
          }),
          authenticationRef: z.strictObject({ name: z.string().min(1) }).optional(),
        }),
      )
      .min(1),
  }),
});

const schemas: Record<string, z.ZodType> = {
  'external-secrets.io/v1/ExternalSecret': externalSecret,
  'keda.sh/v1alpha1/TriggerAuthentication': triggerAuthentication,
  'keda.sh/v1alpha1/ScaledObject': scaledObject,
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
