import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { CaptureDecodeThread } from '../../../src/cli/capture-pipeline.js';
import { readOneFile, type ReadOptions } from '../../../src/cli/read.js';
import type { FromDecodeThread, ToDecodeThread } from '../../../src/cli/decode-thread-protocol.js';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';
import { ethernet, ipv4, udp } from '../../support/packet-builder.js';
import { writePcap } from '../../support/pcap-writer.js';
import { PcapngWriter } from '../../support/pcapng-writer.js';

/**
 * A big capture is decoded in a second thread (capture-pipeline.ts). Users rely on getting the
 * same flows, evidence and data-quality figures whichever thread decoded: these tests read the
 * same files both ways and compare everything readOneFile hands out.
 */
async function readBothWays(path: string): Promise<{ single: unknown; threaded: unknown }> {
  const run = async (decodeThread: ReadOptions['decodeThread']) => {
    const diag = new DiagnosticSink();
    const reports: string[] = [];
    diag.onReport = (d) => reports.push(`${d.code} ${d.origin.offset} ${d.detail}`);
    const flows: Flow[] = [];
    const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    const result = await readOneFile({ path, size }, { decodeThread }, diag, (f) => flows.push(f));
    return { result, flows, quality: diag.toDataQuality(), reports };
  };
  return { single: await run('never'), threaded: await run('always') };
}

/** readOneFile's output for `path`, decoded in this thread, in the JSON form the child prints. */
async function readHere(path: string): Promise<unknown> {
  const diag = new DiagnosticSink();
  const reports: string[] = [];
  diag.onReport = (d) => reports.push(`${d.code} ${d.origin.offset} ${d.detail}`);
  const flows: Flow[] = [];
  const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  const result = await readOneFile({ path, size }, { decodeThread: 'never' }, diag, (f) => flows.push(f));
  return JSON.parse(JSON.stringify({ result, flows, quality: diag.toDataQuality(), reports }));
}

/** Reads `files` in a child process whose decoding thread got a head start on `headStart`. */
function readWithHeadStart(headStart: string, files: string[]): unknown[] {
  const r = spawnSync(process.execPath, ['test/support/head-start-child.mjs', headStart, ...files], { timeout: 30_000, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  expect(r.error).toBeUndefined();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as unknown[];
}

const fixtures = ['ldap-dropped.pcapng', 'kerberos-icmp-prohibited.pcapng', 'federation.pcapng', 'rpc-range-blocked.pcapng', 'proxy-auth-required.pcapng'];

describe('decoding in a second thread', () => {
  for (const name of fixtures) {
    it(`gives the same flows and data quality for ${name}`, async () => {
      const spy = vi.spyOn(CaptureDecodeThread.prototype, 'read');
      const { single, threaded } = await readBothWays(join('fixtures', name));
      expect(spy).toHaveBeenCalledTimes(1); // the threaded run really went through the thread
      spy.mockRestore();
      expect((single as { flows: Flow[] }).flows.length).toBeGreaterThan(0);
      expect(threaded).toEqual(single);
    });
  }

  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-pipeline-'));
  const bytes = readFileSync(join('fixtures', 'ldap-dropped.pcapng'));

  it('hands on the capture filter the file names (if_filter) as a single-threaded read does', async () => {
    const filtered = join(dir, 'filtered.pcapng');
    const frame = ethernet({}, ipv4({ src: '10.0.0.20', dst: '10.0.0.10', proto: 17 }, udp({ sport: 50000, dport: 389 }, new Uint8Array(8))));
    writeFileSync(filtered, new PcapngWriter().shb('le').idb({ linkType: 1, filter: 'udp port 389' }).epb({ interfaceId: 0, tsMicros: 1_714_557_600_000_000, data: frame }).finish());
    const { single, threaded } = await readBothWays(filtered);
    expect((threaded as { result: { summary: { captureFilters: string[] } } }).result.summary.captureFilters).toEqual(['udp port 389']);
    expect(threaded).toEqual(single);
  });

  it('keeps the flows read before a truncation and reports the damage at the same offset', async () => {
    const cut = join(dir, 'cut.pcapng');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const { single, threaded } = await readBothWays(cut);
    const s = single as { flows: Flow[]; quality: { failedFiles: unknown[]; diagnostics: unknown[] } };
    expect(s.flows.length).toBeGreaterThan(0);
    expect(s.quality.diagnostics.length).toBeGreaterThan(0);
    expect(threaded).toEqual(single);
  });

  it('reads a gzipped capture the same way (the thread gunzips it)', async () => {
    const gz = join(dir, 'ldap-dropped.pcapng.gz');
    writeFileSync(gz, gzipSync(bytes));
    const { single, threaded } = await readBothWays(gz);
    expect((single as { flows: Flow[] }).flows.length).toBeGreaterThan(0);
    expect(threaded).toEqual(single);
  });

  it('fails a file that is not a capture the same way', async () => {
    const text = join(dir, 'not-a-capture.pcap');
    writeFileSync(text, Buffer.concat([Buffer.from([0xa1, 0xb2, 0xc3, 0xd4]), Buffer.from('short')]));
    const { single, threaded } = await readBothWays(text);
    expect((single as { quality: { failedFiles: unknown[] } }).quality.failedFiles.length).toBe(1);
    expect(threaded).toEqual(single);
  });

  it('decodes in the reading thread when the decoding thread cannot start', async () => {
    const spy = vi.spyOn(CaptureDecodeThread.prototype, 'read').mockRejectedValue(new Error('capture decoding thread exited (code 1)'));
    const { single, threaded } = await readBothWays(join('fixtures', 'ldap-dropped.pcapng'));
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
    expect((single as { flows: Flow[] }).flows.length).toBeGreaterThan(0);
    expect(threaded).toEqual(single);
  });

  it('fails a missing file the same way', async () => {
    const { single, threaded } = await readBothWays(join(dir, 'missing.pcap'));
    expect((single as { quality: { failedFiles: { code: string }[] } }).quality.failedFiles[0].code).toBe('input_unreadable');
    expect(threaded).toEqual(single);
  });
});

describe('the decoding thread\'s head start on the big capture named on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-head-start-'));
  const ldap = join('fixtures', 'ldap-dropped.pcapng');
  const kerberos = join('fixtures', 'kerberos-icmp-prohibited.pcapng');
  // Enough packets for more batches than may wait unclaimed (the head start stops and waits).
  const many = join(dir, 'many.pcap');
  const records = [];
  for (let i = 0; i < 70_000; i++) {
    const data = ipv4({ src: `10.0.0.${i % 200}`, dst: '10.1.0.1', proto: 17 }, udp({ sport: 1024 + (i % 400), dport: 53 }));
    records.push({ tsMicros: 1_700_000_000_000_000 + i * 10, data });
  }
  writeFileSync(many, writePcap({ byteOrder: 'le', linkType: 101, records }));
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not a capture at all\n'.repeat(100));

  it('gives the same result when the file it started on is the one asked for', async () => {
    expect(readWithHeadStart(ldap, [ldap])).toEqual([await readHere(ldap)]);
    expect(readWithHeadStart(many, [many])).toEqual([await readHere(many)]);
  });

  it('is dropped when another file is asked for first, even while it waits with batches unclaimed', async () => {
    expect(readWithHeadStart(many, [kerberos, many])).toEqual([await readHere(kerberos), await readHere(many)]);
    expect(readWithHeadStart(ldap, [kerberos, ldap])).toEqual([await readHere(kerberos), await readHere(ldap)]);
  });

  it('is dropped when it was not a capture at all', async () => {
    expect(readWithHeadStart(text, [ldap])).toEqual([await readHere(ldap)]);
  });

  it('leaves the next file the whole window of batches in flight after it is dropped', async () => {
    // Driven by hand, without credits: the thread sends batches until MAX_BATCHES_IN_FLIGHT (8)
    // wait unclaimed, and no fewer because a dropped head start still counted one of its own. The
    // head start must be stopped partway, holding a batch it has not finished: a longer file.
    const longer = join(dir, 'longer.pcap');
    const records = [];
    for (let i = 0; i < 200_000; i++) {
      const data = ipv4({ src: `10.0.${i % 50}.${i % 200}`, dst: '10.1.0.1', proto: 17 }, udp({ sport: 1024 + (i % 400), dport: 53 }));
      records.push({ tsMicros: 1_700_000_000_000_000 + i * 10, data });
    }
    writeFileSync(longer, writePcap({ byteOrder: 'le', linkType: 101, records }));
    const other = join(dir, 'longer-too.pcap');
    copyFileSync(longer, other);
    const thread = new Worker(join(process.cwd(), 'dist', 'src', 'cli', 'decode-thread.js'), { workerData: { headStart: longer } });
    try {
      // Let the head start fill its window and wait, partway through the file.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const sent = await new Promise<number>((resolve) => {
        let batches = 0;
        // Only reached when the thread stopped short of the window.
        const stalled = setTimeout(() => resolve(batches), 3000);
        thread.on('message', (m: FromDecodeThread) => {
          if (m.type === 'batch' && m.id === 1 && ++batches === 8) {
            clearTimeout(stalled);
            resolve(batches);
          }
        });
        thread.postMessage({ type: 'file', id: 1, path: other } satisfies ToDecodeThread);
      });
      expect(sent).toBe(8);
    } finally {
      await thread.terminate();
    }
  });
});

describe('the decoding thread', () => {
  it('does not keep the process alive when it was started but never used', () => {
    // bin.ts starts it early for any big file, a flow log included: the process must still end.
    const script = `import('${join(process.cwd(), 'dist/src/cli/capture-pipeline.js')}').then((m) => { m.CaptureDecodeThread.shared(); })`;
    const r = spawnSync(process.execPath, ['-e', script], { timeout: 10_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
  });
});
