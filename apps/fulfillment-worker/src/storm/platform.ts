import path from 'node:path';
import { type AppName, type AppProcess, spawnApp } from '../test-support/app-process.ts';
import { type LoadBalancer, startLoadBalancer } from './proxy.ts';

// The platform as separate processes, as `cmdr up` runs it: two worker replicas (one of them gets SIGKILL),
// and each HTTP app behind a small proxy, so that it can be restarted one replica at a time.

export interface Platform {
  /** Every process started, the stopped and killed ones too: each one's exit is judged at the end. */
  all: AppProcess[];
  /** Processes the storm itself stopped (SIGTERM) or killed (SIGKILL): their exit is not a crash. */
  endedOnPurpose: Set<AppProcess>;
  workers: AppProcess[];
  http: Record<HttpApp, { proxy: LoadBalancer; replicas: AppProcess[] }>;
  logDir: string;
  /** SIGKILL one worker replica and start a new one in its place. */
  killWorker(): Promise<void>;
  /** For each HTTP app: a new replica joins, then the old one leaves the rotation and gets SIGTERM. */
  rollingRestart(onStep?: (step: string) => void): Promise<void>;
  stop(): Promise<void>;
}

export type HttpApp = 'webhook-dispatcher' | 'geo-reporting' | 'artist-api';

export async function startPlatform(options: {
  env: Record<HttpApp | 'fulfillment-worker', Record<string, string>>;
  logDir: string;
}): Promise<Platform> {
  const all: AppProcess[] = [];
  const endedOnPurpose = new Set<AppProcess>();
  let serial = 0;
  // Should the test process end without stop() (killed, timed out), its apps must not live on.
  process.once('exit', () => {
    for (const app of all) if (!app.exit()) process.kill(app.pid, 'SIGKILL');
  });
  const spawn = async (name: AppName) => {
    const app = await spawnApp(name, options.env[name as HttpApp], {
      logFile: path.join(options.logDir, `${name}-${++serial}.log`),
    });
    all.push(app);
    await app.ready(180_000); // a loaded 2-core machine can take a minute to start one
    return app;
  };
  // The worker first: its queues must exist before the dispatcher's relay publishes.
  const workers = await Promise.all([spawn('fulfillment-worker'), spawn('fulfillment-worker')]);
  const httpApps: HttpApp[] = ['webhook-dispatcher', 'geo-reporting', 'artist-api'];
  const http = {} as Platform['http'];
  for (const name of httpApps) {
    const replica = await spawn(name);
    http[name] = { proxy: await startLoadBalancer([replica.url]), replicas: [replica] };
  }
  const terminate = async (app: AppProcess) => {
    endedOnPurpose.add(app);
    await app.stop(30_000);
  };
  return {
    all,
    endedOnPurpose,
    workers,
    http,
    logDir: options.logDir,
    async killWorker() {
      const victim = workers.shift() as AppProcess;
      endedOnPurpose.add(victim);
      process.kill(victim.pid, 'SIGKILL');
      workers.push(await spawn('fulfillment-worker'));
    },
    async rollingRestart(onStep) {
      for (const name of httpApps) {
        const { proxy, replicas } = http[name];
        const old = replicas[0] as AppProcess;
        const fresh = await spawn(name);
        proxy.backends.push(fresh.url);
        replicas.push(fresh);
        // Out of the rotation first (readiness gone), then SIGTERM: in-flight requests finish on it.
        proxy.backends.splice(proxy.backends.indexOf(old.url), 1);
        replicas.shift();
        await terminate(old);
        onStep?.(`${name} restarted`);
      }
      // The worker replicas too, one at a time: each consumes until SIGTERM, its unacked messages go back.
      for (let i = 0; i < 2; i++) {
        const old = workers.shift() as AppProcess;
        workers.push(await spawn('fulfillment-worker'));
        await terminate(old);
        onStep?.('fulfillment-worker restarted');
      }
    },
    async stop() {
      for (const { proxy } of Object.values(http)) await proxy.close();
      await Promise.all(
        all
          .filter((app) => !app.exit())
          .map((app) => {
            endedOnPurpose.add(app);
            return app.stop(20_000);
          }),
      );
    },
  };
}
