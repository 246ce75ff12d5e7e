import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DiagnosticSink } from '../../src/common/diagnostics.js';
import { readCapture } from '../../src/sources/capture.js';
import { openInput } from '../../src/sources/input.js';
import { PcapngWriter } from './pcapng-writer.js';

const root = resolve(__dirname, '../..');

export interface Rewrite {
  /** The capture filter the interface block names (if_filter). */
  filter?: string;
  /** The frames kept (all when omitted). */
  keep?: (data: Uint8Array) => boolean;
  /** Packets the interface statistics at the end say were dropped (isb_ifdrop). */
  dropped?: bigint;
}

/**
 * A bundled fixture capture (Ethernet) written again as one pcapng interface, with what a real
 * capture tool adds: a capture filter, the frames it let through, its drop statistics. Returns the path.
 */
export async function rewriteFixture(name: string, how: Rewrite): Promise<string> {
  const input = await openInput(join(root, 'fixtures', name));
  const w = new PcapngWriter().shb('le').idb({ linkType: 1, filter: how.filter });
  await readCapture(input, { diag: new DiagnosticSink() }, (f) => {
    if (!how.keep || how.keep(f.data)) w.epb({ interfaceId: 0, tsMicros: f.tsMicros, data: new Uint8Array(f.data) });
  });
  if (how.dropped !== undefined) w.isb(0, { ifdrop: how.dropped });
  const path = join(mkdtempSync(join(tmpdir(), 'flowaudit-rewrite-')), name);
  writeFileSync(path, w.finish());
  return path;
}

/** The TCP or UDP ports of an Ethernet/IPv4 frame, else null. */
export function ipv4Ports(d: Uint8Array): [number, number] | null {
  if (d.length < 34 || d[12] !== 0x08 || d[13] !== 0x00) return null;
  if (d[23] !== 6 && d[23] !== 17) return null;
  const at = 14 + (d[14] & 0x0f) * 4;
  return [(d[at] << 8) | d[at + 1], (d[at + 2] << 8) | d[at + 3]];
}
