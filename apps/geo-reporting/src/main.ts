import { kafkaSecurityFromEnvOrExit } from '@single/events';
import { loadGeoReportingConfig } from './config.ts';
import { createRuntime } from './runtime.ts';

const config = loadGeoReportingConfig(process.env);
await createRuntime(config, { kafkaSecurity: kafkaSecurityFromEnvOrExit(process.env) }).start();
