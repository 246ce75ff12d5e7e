import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Flow } from '../../src/flows/types.js';
import { conversationKey, readCorpusFile, tsharkExpected } from './support.js';

/**
 * Every capture in the corpus, measured against tshark: frame counts (capinfos) and TCP/UDP
 * conversations (`tshark -q -z conv,tcp -z conv,udp`). tshark does not split port reuse and does
 * not count a flow that only appears quoted inside an ICMP error, so neither do these comparisons.
 */
const expected = tsharkExpected();

describe.each(Object.keys(expected))('%s', (rel) => {
  it('matches tshark: frames and TCP/UDP conversations', async () => {
    const { flows, result, diag } = await readCorpusFile(rel);
    const want = expected[rel];
    expect(result.summary, `${rel} could not be read: ${JSON.stringify(diag.failedFiles)}`).not.toBeNull();
    expect(result.summary!.records).toBe(want.frames);
    expect(result.summary!.complete).toBe(true);

    const seenOnTheWire = flows.filter((f) => f.origPkts + f.respPkts > 0);
    const ours = (proto: 'tcp' | 'udp') =>
      [...new Set(seenOnTheWire.filter((f) => f.proto === proto).map((f) => conversationKey([f.origH, f.origP], [f.respH, f.respP])))].sort();
    const theirs = (list: typeof want.tcp) => [...new Set(list.map(([a, b]) => conversationKey(a, b)))].sort();
    expect(ours('tcp')).toEqual(theirs(want.tcp));
    expect(ours('udp')).toEqual(theirs(want.udp));
  });

  it('gives the same flows and data quality when decoded in a second thread (as big captures are)', async () => {
    const single = await readCorpusFile(rel, { decodeThread: 'never' });
    const threaded = await readCorpusFile(rel, { decodeThread: 'always' });
    expect(threaded.flows).toEqual(single.flows);
    expect(threaded.result).toEqual(single.result);
    expect(threaded.diag.toDataQuality()).toEqual(single.diag.toDataQuality());
  });
});

describe('outcomes of the failure captures', () => {
  it('a SYN with no answer is S0, unanswered', async () => {
    const { flows } = await readCorpusFile('pcap-failures/tcp_syn_unanswered.pcap');
    expect(flows).toHaveLength(1);
    expect(flows[0].connState).toBe('S0');
    expect(flows[0].outcome).toBe('unanswered');
    expect(flows[0].evidence.frame).toBe(1);
  });

  it('a SYN then a RST: both come from the originator (tshark: 1.1.1.1 → 1.1.1.2 twice), so RSTOS0, as Zeek defines it', async () => {
    const { flows } = await readCorpusFile('pcap-failures/tcp_syn_then_rst.pcap');
    expect(flows).toHaveLength(1);
    expect(flows[0].connState).toBe('RSTOS0');
    expect(flows[0].history).toBe('SR');
    expect(flows[0].outcome).toBe('unanswered');
    expect(flows[0].respP).toBe(31313);
  });

  it("a SYN answered by the responder's RST is REJ, refused (the ldaps-rejected fixture)", async () => {
    const { readOneFile } = await import('../../src/cli/read.js');
    const { DiagnosticSink } = await import('../../src/common/diagnostics.js');
    const path = resolve(__dirname, '../../fixtures/ldaps-rejected.pcapng');
    const flows: Flow[] = [];
    await readOneFile({ path, size: statSync(path).size }, {}, new DiagnosticSink(), (f) => flows.push(f));
    const ldaps = flows.filter((f) => f.respP === 636);
    expect(ldaps.map((f) => [f.connState, f.outcome, f.history])).toEqual([
      ['REJ', 'refused', 'Sr'],
      ['REJ', 'refused', 'Sr'],
    ]);
  });

  it('an ICMP port unreachable marks its UDP flow refused, not a flow of its own', async () => {
    const { flows } = await readCorpusFile('pcap-failures/icmp_port_unreachable_udp.pcap');
    expect(flows).toHaveLength(1);
    expect(flows[0].proto).toBe('udp');
    expect(flows[0].outcome).toBe('refused');
    expect(flows[0].icmp?.code).toBe(3);
    expect(flows[0].reason).toMatch(/port unreachable/);
  });
});

describe('copies of one packet', () => {
  it('NFLOG logs a packet once per matching rule: the SYN in frames 1-3 (tshark: one IP ID, 0xe8ef) counts once', async () => {
    const { flows, diag, result } = await readCorpusFile('pcap-linktypes/nflog_http.pcap');
    expect(result.summary!.records).toBe(13); // every frame is still read, as tshark reads it
    expect(diag.counters.get('frames_duplicate')).toBe(2);
    expect(flows).toHaveLength(1);
    expect([flows[0].connState, flows[0].synCount, flows[0].history.startsWith('Sh')]).toEqual(['SF', 1, true]);
    const copy = diag.toDataQuality().diagnostics.find((d) => d.code === 'frame_duplicate');
    expect(copy?.examples[0].detail).toMatch(/^frame 2 is a copy of frame 1: /);
  });
});

describe('Kerberos errors', () => {
  it('names those that stop a logon, as many as tshark finds (kerberos.error_code 6 ×19, 14 ×2, 18 ×2, 23 ×2); the normal ones (25, 52 …) are left alone', async () => {
    const { diag } = await readCorpusFile('pcap-ad/krb5_kinit_as_tgs_exchanges.pcap');
    expect(diag.counters.get('kerberos_errors')).toBe(19 + 2 + 2 + 2);
    const reported = diag.toDataQuality().diagnostics.find((d) => d.code === 'kerberos_error')!;
    const codes = reported.examples.map((e) => Number(/\((\d+)\)/.exec(e.detail)![1]));
    expect(new Set(codes)).toEqual(new Set([6, 14, 18, 23]));
    expect(reported.examples.map((e) => e.detail)).toContain(
      "the KDC 192.168.1.32 answered 192.168.1.31 with KDC_ERR_KEY_EXPIRED (23) for expired_password_client_principal@VLADG.NET (service krbtgt/VLADG.NET): the account's password has expired",
    );
  });
});

describe('TLS handshakes that fail', () => {
  it("names the server's fatal alert, as tshark finds it (tls.alert_message.desc 40)", async () => {
    const { diag } = await readCorpusFile('pcap-tls-dns/tls12_handshake_failure_alert.pcap');
    expect(diag.counters.get('tls_alerts')).toBe(1);
    const reported = diag.toDataQuality().diagnostics.find((d) => d.code === 'tls_alert')!;
    expect(reported.examples[0].detail).toMatch(/^74\.125\.239\.37:443 ended the TLS handshake with 192\.168\.4\.149:53525: fatal alert handshake_failure \(40\)/);
  });
});

describe('application names', () => {
  it('reads the TLS SNI of the Chrome capture', async () => {
    const { flows } = await readCorpusFile('pcap-tls-dns/tls12_sni_google_chrome34.pcap');
    expect(flows.map((f) => f.sni)).toContain('google.de');
  });

  it('reads DNS answers over fragmented IPv6', async () => {
    const { flows } = await readCorpusFile('pcap-tls-dns/dns_ipv6_fragmented.pcap');
    const dnsFlows = flows.filter((f) => f.dns);
    expect(dnsFlows.length).toBeGreaterThan(0);
  });
});

describe('RPC endpoint mapper', () => {
  it('records the dynamic ports that port 135 hands out (tshark: epm.proto.tcp_port 4997 and 1032)', async () => {
    const { flows } = await readCorpusFile('pcap-ad/msrpc_mapi_lsarpc_smb1_mixed.pcap');
    const epm = flows.filter((f) => f.respP === 135 && f.respH === '192.168.0.2');
    const handed = new Set(epm.flatMap((f) => f.epmPorts ?? []));
    expect(handed).toEqual(new Set([4997, 1032]));
  });
});
