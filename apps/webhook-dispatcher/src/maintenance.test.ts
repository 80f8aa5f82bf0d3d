import { describe, expect, it } from 'vitest';
import { maintenanceSwitch } from './maintenance.ts';

describe('maintenanceSwitch', () => {
  it('reads the runtime flag at most once per refresh interval and keeps the last value on errors', async () => {
    let clock = 0;
    let reads = 0;
    let flag: string | null = null;
    let broken = false;
    const sw = maintenanceSwitch({
      envFlag: false,
      refreshMs: 1000,
      now: () => clock,
      readFlag: async () => {
        reads++;
        if (broken) throw new Error('redis down');
        return flag;
      },
    });
    expect(await sw.isOn()).toBe(false);
    flag = 'on';
    expect(await sw.isOn()).toBe(false); // cached
    clock = 1000;
    expect(await sw.isOn()).toBe(true);
    broken = true;
    clock = 2000;
    expect(await sw.isOn()).toBe(true);
    expect(reads).toBe(3);
  });

  it('the environment switch wins', async () => {
    const sw = maintenanceSwitch({ envFlag: true, readFlag: async () => null });
    expect(await sw.isOn()).toBe(true);
  });
});
