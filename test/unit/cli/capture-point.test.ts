import { describe, expect, it } from 'vitest';
import { CapturePoint } from '../../../src/cli/capture-point.js';

type F = [orig: string, resp: string, proto?: 'tcp' | 'udp' | 'icmp', respPkts?: number];

function pointFor(flows: F[]): CapturePoint {
  const p = new CapturePoint();
  for (const [origH, respH, proto = 'tcp', respPkts = 1] of flows) p.add({ origH, respH, proto, respPkts });
  return p;
}

/** The capture point of flows given as [originator, responder, transport (tcp), responder's packets (1)]. */
const pointOf = (flows: F[]) => pointFor(flows).hosts();

describe('CapturePoint: where a capture was taken', () => {
  it('is the host on a side of every flow, whichever side (a capture on a DC: clients ask it, it asks others)', () => {
    expect(
      pointOf([
        ['10.0.0.20', '10.0.0.10'],
        ['10.0.1.51', '10.0.0.10', 'udp'],
        ['10.0.0.10', '10.0.0.11'],
        ['10.0.2.5', '10.0.0.10'],
      ]),
    ).toEqual(['10.0.0.10']);
  });

  it('is both hosts of a capture that holds one conversation: it was taken on either', () => {
    const p = pointFor([['10.0.0.20', '10.0.0.10'], ['10.0.0.10', '10.0.0.20']]);
    expect(p.hosts()).toEqual(['10.0.0.10', '10.0.0.20']);
    expect(p.conversation()).toEqual(['10.0.0.10', '10.0.0.20']);
    expect(pointFor([['10.0.0.20', '10.0.0.10'], ['10.0.0.20', '10.0.0.11']]).conversation()).toBeNull();
  });

  it("is a dual-stack host's IPv4 and IPv6 address: each flow uses one of them", () => {
    const p = pointFor([
      ['10.0.0.20', '10.0.0.10'],
      ['10.0.0.20', '20.190.151.68'],
      ['2001:db8::20', '2001:db8::10'],
      ['2001:db8::11', '2001:db8::20'],
    ]);
    expect(p.hosts()).toEqual(['10.0.0.20', '2001:db8::20']);
    expect(p.conversation()).toBeNull();
    // IPv6 flows between two other hosts: no capture point, whatever the IPv4 flows say.
    expect(pointOf([['10.0.0.20', '10.0.0.10'], ['10.0.0.20', '10.0.0.11'], ['2001:db8::20', '2001:db8::10'], ['2001:db8::11', '2001:db8::12']])).toBeNull();
  });

  it('is none for a mirror port that sees several conversations with no host in common', () => {
    expect(pointOf([['10.0.0.20', '10.0.0.10'], ['172.16.0.10', '10.0.2.10']])).toBeNull();
    expect(pointOf([['10.0.0.20', '10.0.0.10'], ['10.0.0.20', '10.0.0.11'], ['10.0.0.10', '10.0.0.11']])).toBeNull();
    // A SYN between two other hosts, even unanswered, is unicast: the capture saw their traffic.
    expect(pointOf([['10.0.0.20', '10.0.0.10'], ['10.0.0.33', '10.0.0.11', 'tcp', 0]])).toBeNull();
    expect(pointOf([['10.0.0.20', '10.0.0.10'], ['10.0.0.33', '10.0.0.11', 'udp', 2]])).toBeNull();
  });

  it("leaves out what a host capture holds whoever sent it: groups, broadcasts, DHCP, loopback, link-local", () => {
    expect(
      pointOf([
        ['10.0.0.20', '10.0.0.10'],
        ['10.0.0.20', '20.190.151.68'],
        ['10.0.0.33', '224.0.0.252', 'udp', 0], // LLMNR from another host
        ['10.0.0.34', '255.255.255.255', 'udp', 0],
        ['10.0.0.35', '10.0.0.127', 'udp', 0], // NetBIOS to a /25's broadcast: unanswered UDP
        ['10.0.0.36', '10.0.0.40', 'icmp', 0],
        ['fe80::1', 'ff02::1:3', 'udp', 0],
        ['fe80::1', 'fe80::2', 'icmp', 1], // neighbour discovery
        ['169.254.10.1', '169.254.10.2', 'udp', 1],
        ['0.0.0.0', '255.255.255.255', 'udp', 0],
        ['127.0.0.1', '127.0.0.1'],
        ['::1', '::1'],
        ['10.0.0.99', '10.0.0.99'],
      ]),
    ).toEqual(['10.0.0.20']);
  });

  it('is none when the capture holds no flow between two hosts', () => {
    expect(pointOf([])).toBeNull();
    expect(pointOf([['10.0.0.33', '224.0.0.252', 'udp', 0]])).toBeNull();
  });
});
