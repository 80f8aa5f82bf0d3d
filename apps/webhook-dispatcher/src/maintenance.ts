/**
 * Maintenance mode: the environment switch (set at deploy) or the runtime flag an operator sets with
 * `cmdr maintenance on` (stored in the cache). The flag is re-read at most once per `refreshMs`, so the
 * hot path costs nothing; if the cache is unreachable the last known value stands.
 */
export interface MaintenanceSwitch {
  isOn(): Promise<boolean>;
}

export const MAINTENANCE_FLAG_KEY = 'maintenance:webhook-dispatcher';

export function maintenanceSwitch(options: {
  envFlag: boolean;
  readFlag: () => Promise<string | null | undefined>;
  refreshMs?: number;
  now?: () => number;
}): MaintenanceSwitch {
  const refreshMs = options.refreshMs ?? 1_000;
  const now = options.now ?? Date.now;
  let value = false;
  let readAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;
  const refresh = async () => {
    try {
      value = (await options.readFlag()) === 'on';
    } catch {
      // keep the last known value
    } finally {
      readAt = now();
      pending = undefined;
    }
  };
  return {
    async isOn() {
      if (options.envFlag) return true;
      if (now() - readAt >= refreshMs) {
        pending ??= refresh();
        await pending;
      }
      return value;
    },
  };
}
