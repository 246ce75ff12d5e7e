import { describe, expect, it } from 'vitest';
import { printVerdict } from '../../../src/cli/commands.js';
import { formatEvidencePlace } from '../../../src/audit/text.js';
import { auditResult, finding } from '../../support/audit-fixtures.js';

function print(r: ReturnType<typeof auditResult>): string {
  const lines: string[] = [];
  const con = { out: (s: string) => lines.push(s), err: () => undefined, stdoutIsTTY: true, stderrIsTTY: true };
  printVerdict(con, r, [], formatEvidencePlace);
  return lines.join('\n');
}

describe('the terminal verdict', () => {
  it('lets no control character from the data reach the terminal', () => {
    const evil = '\u001b]0;pwned\u0007\u001b[2J';
    const r = auditResult({
      findings: [
        finding({ reason: `S0: SYN sent${evil} 3 times`, evidence: [{ ...finding().evidence[0], file: `cap${evil}.pcap` }] }),
        finding({ status: 'ok', answers: [{ code: 'kerberos_error', detail: `the KDC answered for svc${evil}`, file: 'c.pcap', frame: 9 }] }),
      ],
    });
    r.verdict.summary += evil;
    const text = print(r);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(text).toContain('S0: SYN sent?]0;pwned??[2J 3 times');
    expect(text).toContain('ANSWERED');
    expect(text).toContain('the KDC answered for svc?]0;pwned??[2J (c.pcap frame 9)');
  });
});
