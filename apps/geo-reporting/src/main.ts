import { loadGeoReportingConfig } from './config.ts';
import { createRuntime } from './runtime.ts';

const config = loadGeoReportingConfig(process.env);
await createRuntime(config).start();
