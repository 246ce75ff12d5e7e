import { describe, expect, it } from 'vitest';
import { decodeSequence } from './helpers.js';
import { ascii, concat, der, ethernet, IPPROTO_TCP, ipv4, tcp, TCP_ACK, TCP_PSH } from '../../support/packet-builder.js';
import { mulberry32 } from '../../support/rng.js';

const CONNECT = '10.0.0.20';
const DC = '10.0.0.10';

/** A BER element with a four-byte length, as Active Directory writes its LDAP messages. */
const ber84 = (tag: number, ...contents: Uint8Array[]) => {
  const body = concat(...contents);
  const n = body.length;
  return concat(Uint8Array.of(tag, 0x84, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff), body);
};

/** LDAPMessage { messageID, BindResponse { resultCode, matchedDN, diagnosticMessage } } (RFC 4511 section 4.2.2). */
const bindResponse = (resultCode: number, message: string, longForm = true) => {
  const wrap = longForm ? ber84 : der;
  return wrap(0x30, der(0x02, Uint8Array.of(3)), wrap(0x61, der(0x0a, Uint8Array.of(resultCode)), der(0x04, new Uint8Array(0)), der(0x04, ascii(message))));
};

const AD_52E = '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563\u0000';

const fromDc = (payload: Uint8Array, sport = 389, id = 1) =>
  ethernet({}, ipv4({ src: DC, dst: CONNECT, proto: IPPROTO_TCP, id }, tcp({ sport, dport: 52100, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1 }, payload)));

function decodeAll(frames: Uint8Array[]) {
  const { diag } = decodeSequence(frames);
  return { diag, reported: diag.toDataQuality().diagnostics.find((d) => d.code === 'ldap_bind_error') };
}

describe('LDAP binds a domain controller refuses', () => {
  it("a wrong password: Active Directory's data 52e is named, with the DC, the client and its message", () => {
    const { reported, diag } = decodeAll([fromDc(bindResponse(49, AD_52E))]);
    expect(reported?.examples[0].detail).toBe(
      'the DC 10.0.0.10 refused a bind from 10.0.0.20: invalidCredentials (49), data 52e: the password is wrong ' +
        '("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563")',
    );
    expect(diag.counters.get('ldap_bind_errors')).toBe(1);
  });

  it('locked, expired, disabled; LDAP signing required; on the global catalog port too; each kind reported once', () => {
    const { reported, diag } = decodeAll([
      fromDc(bindResponse(49, AD_52E.replace('52e', '775'))),
      fromDc(bindResponse(49, AD_52E.replace('52e', '532')), 3268, 2),
      fromDc(bindResponse(8, '00002028: LdapErr: DSID-0C090259, comment: The server requires binds to turn on integrity checking', false), 389, 3),
      fromDc(bindResponse(49, AD_52E.replace('52e', '775')), 389, 4),
    ]);
    expect(reported?.examples.map((e) => e.detail.split(' ("')[0])).toEqual([
      'the DC 10.0.0.10 refused a bind from 10.0.0.20: invalidCredentials (49), data 775: the account is locked out',
      "the DC 10.0.0.10 refused a bind from 10.0.0.20: invalidCredentials (49), data 532: the account's password has expired",
      'the DC 10.0.0.10 refused a bind from 10.0.0.20: strongerAuthRequired (8): the DC requires LDAP signing or channel binding that the client did not offer',
    ]);
    expect(diag.counters.get('ldap_bind_errors')).toBe(4);
  });

  it("a Samba DC: its NT status is named, each kind once (it folds an unknown account and a wrong password into one)", () => {
    const { reported, diag } = decodeAll([
      fromDc(bindResponse(49, 'Simple Bind Failed: NT_STATUS_LOGON_FAILURE', false)),
      fromDc(bindResponse(49, 'SASL:[GSS-SPNEGO]: NT_STATUS_ACCOUNT_LOCKED_OUT', false), 389, 2),
      fromDc(bindResponse(49, 'Simple Bind Failed: NT_STATUS_LOGON_FAILURE', false), 389, 3),
      fromDc(bindResponse(49, 'Simple Bind Failed: NT_STATUS_SOMETHING_NEW', false), 389, 4),
    ]);
    expect(reported?.examples.map((e) => e.detail)).toEqual([
      'the DC 10.0.0.10 refused a bind from 10.0.0.20: invalidCredentials (49): the account does not exist or the password is wrong ("Simple Bind Failed: NT_STATUS_LOGON_FAILURE")',
      'the DC 10.0.0.10 refused a bind from 10.0.0.20: invalidCredentials (49): the account is locked out ("SASL:[GSS-SPNEGO]: NT_STATUS_ACCOUNT_LOCKED_OUT")',
      'the DC 10.0.0.10 refused a bind from 10.0.0.20: invalidCredentials (49): the DC did not accept the credentials ("Simple Bind Failed: NT_STATUS_SOMETHING_NEW")',
    ]);
    expect(diag.counters.get('ldap_bind_errors')).toBe(4);
  });

  it('successful binds, steps of a SASL exchange, other responses and sealed messages are left alone', () => {
    const search = ber84(0x30, der(0x02, Uint8Array.of(4)), ber84(0x65, der(0x0a, Uint8Array.of(0)), der(0x04, new Uint8Array(0)), der(0x04, new Uint8Array(0))));
    const sealed = concat(Uint8Array.of(0, 0, 0, 40), new Uint8Array(40).fill(0x9c));
    const { reported, diag } = decodeAll([fromDc(bindResponse(0, '')), fromDc(bindResponse(14, ''), 389, 2), fromDc(search, 389, 3), fromDc(sealed, 389, 4)]);
    expect(reported).toBeUndefined();
    expect(diag.counters.get('ldap_bind_errors')).toBeUndefined();
  });

  it('damaged responses never throw', () => {
    const msg = bindResponse(49, AD_52E);
    const rnd = mulberry32(389);
    for (let n = 0; n < 400; n++) {
      const damaged = msg.slice();
      for (let k = 0; k < 3; k++) damaged[Math.floor(rnd() * damaged.length)] = Math.floor(rnd() * 256);
      expect(() => decodeAll([fromDc(damaged)])).not.toThrow();
    }
  });
});
