import { describe, expect, it } from 'vitest';
import { filesInWindow, hourOfPath } from '../../../src/cli/path-time.js';

const H = (iso: string) => Date.parse(iso) * 1000;
const NSG = 'resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-AADC';

describe('hourOfPath', () => {
  it("reads the hour of Azure's hourly blob folders, with either slash", () => {
    expect(hourOfPath(`logs/${NSG}/y=2024/m=05/d=01/h=10/m=00/macAddress=000D3A000001/PT1H.json`)).toBe(H('2024-05-01T10:00:00Z'));
    expect(hourOfPath(`C:\\logs\\${NSG.replace(/\//g, '\\')}\\y=2024\\m=12\\d=31\\h=23\\m=00\\PT1H.json`)).toBe(H('2024-12-31T23:00:00Z'));
    expect(hourOfPath('y=2024/m=02/d=29/h=00/PT1H.json')).toBe(H('2024-02-29T00:00:00Z'));
  });

  it('names no hour for other paths, or for a date that does not exist', () => {
    for (const p of ['capture.pcapng', 'logs/2024/05/01/PT1H.json', 'y=2024/m=05/d=01/PT1H.json', 'y=2023/m=02/d=29/h=00/x.json', 'y=2024/m=13/d=01/h=00/x.json', 'y=2024/m=05/d=01/h=24/x.json', 'xy=2024/m=05/d=01/h=10/x.json']) {
      expect(hourOfPath(p)).toBeNull();
    }
  });
});

describe('filesInWindow', () => {
  const file = (hour: string | null) => ({ path: hour === null ? 'pfirewall.log' : `${NSG}/y=2024/m=05/d=01/h=${hour}/m=00/PT1H.json`, size: 1 });
  const files = ['02', '05', '08', '09', '10', '11', '12', '13', '20'].map(file);

  it('leaves out the hourly files more than an hour away from the window, and keeps every file that has no hour', () => {
    const { kept, skipped } = filesInWindow([...files, file(null)], H('2024-05-01T10:30:00Z'), H('2024-05-01T11:15:00Z'));
    // The window touches hours 10 and 11; a blob's records may stray an hour: 09 and 12 stay too.
    expect(kept.map((f) => f.path.match(/h=(\d+)/)?.[1] ?? f.path)).toEqual(['09', '10', '11', '12', 'pfirewall.log']);
    expect(skipped).toBe(5);
  });

  it('takes either bound alone, and nothing without one', () => {
    expect(filesInWindow(files, H('2024-05-01T12:00:00Z'), undefined).kept.map((f) => f.path.match(/h=(\d+)/)![1])).toEqual(['10', '11', '12', '13', '20']);
    expect(filesInWindow(files, undefined, H('2024-05-01T06:00:00Z')).kept.map((f) => f.path.match(/h=(\d+)/)![1])).toEqual(['02', '05']);
    expect(filesInWindow(files, undefined, undefined)).toEqual({ kept: files, skipped: 0 });
  });
});
