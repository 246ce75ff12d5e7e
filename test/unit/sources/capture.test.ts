import { describe, expect, it } from 'vitest';
import { DiagnosticSink, InputError } from '../../../src/common/diagnostics.js';
import { notACaptureMessage, readCapture } from '../../../src/sources/capture.js';
import { openInputStream } from '../../../src/sources/input.js';
import { chunksOf, fillerBytes, writePcap } from '../../support/pcap-writer.js';
import { PcapngWriter } from '../../support/pcapng-writer.js';

async function readNamed(name: string, bytes: Uint8Array) {
  const diag = new DiagnosticSink();
  const input = await openInputStream(name, chunksOf(bytes, 4096));
  let frames = 0;
  const summary = await readCapture(input, { diag }, () => frames++);
  return { summary, frames, diag };
}

describe('readCapture', () => {
  it('dispatches on the bytes, not the name', async () => {
    const pcap = writePcap({ byteOrder: 'le', linkType: 1, records: [{ tsMicros: 1, data: fillerBytes(20) }] });
    const ng = new PcapngWriter().shb('be').idb({ linkType: 1 }).epb({ interfaceId: 0, tsMicros: 1, data: fillerBytes(20) }).finish();
    expect((await readNamed('trace.pcapng', pcap)).summary.format).toBe('pcap');
    expect((await readNamed('trace.pcap', ng)).summary.format).toBe('pcapng');
  });

  it('a text file is not a capture: one line saying what was expected and what was found', async () => {
    const err = await readNamed('x.txt', new TextEncoder().encode('GET / HTTP/1.1\r\n')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'input_unknown_format', file: 'x.txt', offset: 0 });
    expect((err as Error).message).toBe("x.txt is not a capture: expected pcap or pcapng magic, found 'GET '");
  });

  it('binary bytes are shown in hex', () => {
    expect(notACaptureMessage('a.bin', Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1))).toBe(
      'a.bin is not a capture: expected pcap or pcapng magic, found 7f 45 4c 46',
    );
  });

  it('names the format a misplaced flow log looks like', () => {
    const head = new TextEncoder().encode('#Version: 1.5\n#Software: Microsoft Windows Firewall\n');
    expect(notACaptureMessage('pfirewall.log', head)).toBe(
      "pfirewall.log is not a capture (it looks like a Windows Firewall log): expected pcap or pcapng magic, found '#Ver'",
    );
  });

  it('an empty input: input_empty', async () => {
    await expect(readNamed('empty.pcap', new Uint8Array(0))).rejects.toMatchObject({
      code: 'input_empty',
      message: 'empty.pcap is empty: expected a pcap or pcapng capture',
    });
  });
});
