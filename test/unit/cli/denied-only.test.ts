import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOneFile } from '../../../src/cli/read.js';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';

/**
 * A firewall log that records only what it denied (Windows Firewall with "Log dropped packets" on
 * and "Log successful connections" off, its default pair for troubleshooting; an export filtered
 * to denials) holds no allowed traffic at all: readOneFile says so, for the audit not to call the
 * traffic it let through missing.
 */
const root = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'flowaudit-denied-'));
const full = readFileSync(join(root, 'fixtures/logs/dc02-pfirewall.log'), 'utf8');

/** The fixture log without its lines of one action: as written with that kind of logging off. */
const without = (action: 'ALLOW' | 'DROP') =>
  full
    .split('\n')
    .filter((l) => !l.includes(` ${action} `))
    .join('\n');

async function read(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return readOneFile({ path, size: statSync(path).size }, { tz: 'UTC' }, new DiagnosticSink(), () => undefined);
}

describe('logs of denials only', () => {
  it('a Windows Firewall log of its DROP lines only', async () => {
    const r = await read('drops.log', without('ALLOW'));
    expect(r.flows).toBeGreaterThan(0);
    expect(r.deniedOnly).toBe(true);
  });

  it('not a log with allowed traffic in it, nor a capture', async () => {
    expect((await read('full.log', full)).deniedOnly).toBeUndefined();
    const capture = join(root, 'fixtures/ldap-dropped.pcapng');
    const r = await readOneFile({ path: capture, size: statSync(capture).size }, {}, new DiagnosticSink(), () => undefined);
    expect(r.deniedOnly).toBeUndefined();
  });

  it('a Windows Firewall log without a DROP line is marked too: its drops may not be logged', async () => {
    const r = await read('allows.log', without('DROP'));
    expect(r.noDropsLogged).toBe(true);
    expect(r.deniedOnly).toBeUndefined();
    expect((await read('full2.log', full)).noDropsLogged).toBeUndefined();
  });

  it('not a log with nothing in it', async () => {
    const header = full.split('\n').filter((l) => l.startsWith('#')).join('\n') + '\n';
    const r = await read('empty.log', header);
    expect(r.flows).toBe(0);
    expect(r.deniedOnly).toBeUndefined();
  });
});
