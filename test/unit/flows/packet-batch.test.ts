import { describe, expect, it } from 'vitest';
import { BatchPacket, PACKET_SLOT_BYTES, PacketBatchWriter } from '../../../src/flows/packet-batch.js';
import { DECODER_ONLY_FIELDS, Packet } from '../../../src/decode/types.js';

function packet(fill: (p: Packet) => void): Packet {
  const p = new Packet();
  fill(p);
  return p;
}

const samples: Packet[] = [
  packet((p) => {
    p.tsMicros = 1_714_521_600_123_456;
    p.frame = 1;
    p.fileOffset = 24;
    p.ipVersion = 4;
    p.src.set([10, 0, 0, 20]);
    p.dst.set([10, 0, 0, 10]);
    p.srcV4 = 0x0a000014;
    p.dstV4 = 0x0a00000a;
    p.proto = 6;
    p.srcPort = 65535;
    p.dstPort = 389;
    p.tcpFlags = 0x12;
    p.tcpSeq = 0xffffffff;
    p.tcpAck = 0x80000000;
    p.tcpWindow = 65535;
    p.ipLen = 1500;
    p.payloadLen = 1460;
  }),
  packet((p) => {
    p.tsMicros = 1;
    p.frame = 4_000_000_000;
    p.fileOffset = 6_000_000_000; // beyond 4 GiB
    p.ipVersion = 6;
    p.src.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0xff]);
    p.dst.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.proto = 58;
    p.icmpType = 1;
    p.icmpCode = 4;
    p.truncated = true;
    p.quoted = { ipVersion: 6, src: new Uint8Array(16).fill(7), dst: new Uint8Array(16).fill(9), proto: 17, srcPort: 5000, dstPort: 53 };
  }),
  packet((p) => {
    p.ipVersion = 4;
    p.proto = 17;
    p.laterFragment = true;
    p.dns = { id: 7, isResponse: true, rcode: 3, questions: [{ name: 'login.microsoftonline.com', type: 'A' }], answers: [] };
    p.sni = 'example.org';
    p.epmPorts = [49667];
  }),
  packet((p) => {
    p.ipVersion = 4;
    p.proto = 6;
    p.http = { method: 'CONNECT', target: 'login.microsoftonline.com:443', status: 0, statusText: '' };
  }),
  new Packet(), // a frame without IP: ipVersion 0, icmp -1
];

describe('packet batches', () => {
  it('give back every field of every packet', () => {
    const writer = new PacketBatchWriter(new ArrayBuffer(8 * PACKET_SLOT_BYTES), 8);
    for (const p of samples) writer.put(p);
    expect(writer.count).toBe(samples.length);
    const batch = new BatchPacket(writer.buffer, writer.count, writer.extras);
    const fields = (p: object) => {
      const out: Record<string, unknown> = {};
      // Every field but those only the decoder reads (not part of a packet, see PacketFields).
      const decoderOnly: readonly string[] = DECODER_ONLY_FIELDS;
      for (const k of Object.keys(new Packet())) if (!decoderOnly.includes(k)) out[k] = (p as Record<string, unknown>)[k];
      return out;
    };
    samples.forEach((expected, slot) => {
      batch.moveTo(slot);
      expect(fields(batch)).toEqual(fields(expected));
    });
  });

  it('report full at capacity and start over on reset', () => {
    const writer = new PacketBatchWriter(new ArrayBuffer(2 * PACKET_SLOT_BYTES), 2);
    writer.put(samples[0]);
    expect(writer.full).toBe(false);
    writer.put(samples[2]);
    expect(writer.full).toBe(true);
    writer.reset(new ArrayBuffer(2 * PACKET_SLOT_BYTES));
    expect(writer.count).toBe(0);
    expect(writer.extras).toEqual([]);
  });
});
