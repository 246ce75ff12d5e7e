import { describe, expect, it } from 'vitest';
import type { Finding, FindingStatus, UnexpectedFlow } from '../../../src/audit/types.js';
import { buildHostBars, MAX_HOST_BARS, renderHostBarsSvg } from '../../../src/report/svg/host-bars.js';
import { renderOutcomeLegend, renderStatusLegend } from '../../../src/report/svg/legend.js';
import { buildMatrix, renderMatrixSvg, UNEXPECTED_COLUMN } from '../../../src/report/svg/matrix.js';
import { STATUS_STYLES, worseStatus } from '../../../src/report/svg/palette.js';
import { buildTimeline, commonBucketWidth, renderTimelineSvg } from '../../../src/report/svg/timeline.js';
import { escapeXml } from '../../../src/report/svg/xml.js';
import { buildSampleAudit, SAMPLE_END, SAMPLE_START } from '../../support/sample-audit.js';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0) * 1000;
const SEC = 1_000_000;

/** A minimal finding for chart tests; every field a renderer reads is set. */
function finding(over: Partial<Finding>): Finding {
  return {
    rule_id: 'connect-dc-ldap',
    table: 'Table 1',
    protocol: 'LDAP',
    transport: 'tcp',
    ports: '389',
    src_role: 'connect',
    dst_role: 'dc',
    src: '10.0.0.20',
    dst: '10.0.0.10',
    status: 'ok',
    required: true,
    reason: 'completed',
    attempts: 0,
    completed: 0,
    refused: 0,
    unanswered: 0,
    first_ts: null,
    last_ts: null,
    conn_states: {},
    evidence: [],
    display_filter: 'ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && tcp.port==389',
    hints: [],
    timeline: { width: SEC, buckets: [] },
    ...over,
  };
}

function unexpectedFlow(over: Partial<UnexpectedFlow>): UnexpectedFlow {
  return {
    src: '10.0.0.20',
    dst: '10.0.0.10',
    src_roles: ['connect'],
    dst_roles: ['dc'],
    transport: 'tcp',
    port: 3389,
    attempts: 2,
    completed: 2,
    refused: 0,
    unanswered: 0,
    first_ts: T0,
    last_ts: T0 + SEC,
    evidence: [],
    display_filter: '',
    ...over,
  };
}

function count(haystack: string, needle: RegExp): number {
  return (haystack.match(needle) ?? []).length;
}

describe('escapeXml', () => {
  it('escapes markup, both quotes and ampersands', () => {
    expect(escapeXml(`<script>alert("x" & 'y')</script>`)).toBe('&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;');
  });
  it('replaces control characters XML does not allow, keeps tab and newline', () => {
    expect(escapeXml('a\u0000b\u001bc\td\ne')).toBe('a\uFFFDb\uFFFDc\td\ne');
  });
});

describe('palette', () => {
  it('picks the worse status', () => {
    expect(worseStatus('ok', 'blocked')).toBe('blocked');
    expect(worseStatus('partial', 'missing')).toBe('partial');
    expect(worseStatus('missing', 'ok')).toBe('missing');
    expect(worseStatus('not-applicable', 'ok')).toBe('ok');
  });
  it('gives every status a distinct colour and glyph', () => {
    const styles = Object.values(STATUS_STYLES);
    expect(new Set(styles.map((s) => s.color)).size).toBe(styles.length);
    expect(new Set(styles.map((s) => s.glyph)).size).toBe(styles.length);
  });
});

describe('status matrix', () => {
  const findings = [
    finding({ dst: '10.0.0.10', status: 'ok', attempts: 5, completed: 5 }),
    finding({ dst: '10.0.0.11', status: 'blocked', attempts: 4, unanswered: 4, reason: 'S0: SYN sent 3 times, no reply (4 of 4 attempts)' }),
    finding({ rule_id: 'connect-dc-kerberos', protocol: 'Kerberos', ports: '88', transport: 'tcp/udp', status: 'partial', attempts: 10, completed: 7, refused: 3 }),
    finding({ rule_id: 'connect-azuread-https', protocol: 'HTTPS', ports: '443', dst_role: 'azure-ad', dst: '20.190.151.68', status: 'ok', attempts: 9, completed: 9 }),
  ];

  it('folds host pairs into one cell per role pair and rule, coloured by the worst status', () => {
    const m = buildMatrix({ findings, unexpected: [] });
    expect(m.rows).toEqual(['connect → dc', 'connect → azure-ad']);
    expect(m.columns).toEqual(['LDAP 389/tcp', 'Kerberos 88/tcp/udp', 'HTTPS 443/tcp']);
    expect(m.cells).toHaveLength(3);
    const ldap = m.cells.find((c) => c.column === 'LDAP 389/tcp');
    expect(ldap).toMatchObject({ row: 'connect → dc', status: 'blocked', findings: 2, attempts: 9, completed: 5 });
    expect(ldap?.title).toBe('connect → dc · LDAP 389/tcp · blocked · 5 of 9 attempts completed · 2 host pairs');
  });

  it('says "never attempted" and gives the reason for a single missing finding', () => {
    const m = buildMatrix({ findings: [finding({ status: 'missing', reason: 'never attempted in the window' })], unexpected: [] });
    expect(m.cells[0].title).toBe('connect → dc · LDAP 389/tcp · missing · never attempted · never attempted in the window');
  });

  it('adds an unexpected column last, with unknown hosts as "unknown"', () => {
    const m = buildMatrix({ findings, unexpected: [unexpectedFlow({}), unexpectedFlow({ dst: '93.184.216.34', dst_roles: [], port: 8443 })] });
    expect(m.columns[m.columns.length - 1]).toBe(UNEXPECTED_COLUMN);
    expect(m.rows).toContain('connect → unknown');
    const cell = m.cells.find((c) => c.row === 'connect → dc' && c.column === UNEXPECTED_COLUMN);
    expect(cell?.status).toBe('unexpected');
    expect(cell?.title).toContain('3389/tcp');
  });

  it('draws one rect with a title and a glyph per cell', () => {
    const svg = renderMatrixSvg({ findings, unexpected: [] });
    expect(count(svg, /<rect class="cell"/g)).toBe(3);
    expect(count(svg, /<title>/g)).toBe(3);
    expect(svg).toContain(`>${STATUS_STYLES.blocked.glyph}</text>`);
    expect(svg).toContain(`fill="${STATUS_STYLES.blocked.color}"`);
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 [\d.]+ [\d.]+"/);
  });

  it('escapes hostile rule names in labels and titles', () => {
    const svg = renderMatrixSvg({ findings: [finding({ protocol: '<script>alert(1)</script>', src_role: 'connect' })], unexpected: [] });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('degrades to a message with no findings', () => {
    const svg = renderMatrixSvg({ findings: [], unexpected: [] });
    expect(svg).toContain('No findings to chart.');
    expect(svg).not.toContain('class="cell"');
  });
});

describe('timeline', () => {
  it('widens the bucket by powers of two until the window fits the target', () => {
    expect(commonBucketWidth([{ width: SEC, buckets: [] }], 60 * SEC, 120)).toBe(SEC);
    expect(commonBucketWidth([{ width: SEC, buckets: [] }], 1800 * SEC, 120)).toBe(16 * SEC);
    expect(commonBucketWidth([{ width: 4 * SEC, buckets: [] }, { width: 32 * SEC, buckets: [] }], 10 * SEC, 120)).toBe(32 * SEC);
  });

  it('re-buckets timelines of different widths to one width without losing attempts', () => {
    const a = finding({ timeline: { width: SEC, buckets: [[T0, 3, 1], [T0 + SEC, 2, 0], [T0 + 900 * SEC, 0, 5]] } });
    const b = finding({ dst: '10.0.0.11', timeline: { width: 4 * SEC, buckets: [[T0, 1, 1], [T0 + 1796 * SEC, 4, 0]] } });
    const m = buildTimeline({ findings: [a, b], window: { first_ts: T0, last_ts: T0 + 1800 * SEC } });
    expect(m).not.toBeNull();
    expect(m!.rows).toHaveLength(1); // one rule, two host pairs
    const row = m!.rows[0];
    expect(row.completed).toBe(10);
    expect(row.failed).toBe(7);
    expect(row.series.reduce((s, d) => s + d.completed, 0)).toBe(10);
    expect(row.series.reduce((s, d) => s + d.failed, 0)).toBe(7);
    expect(m!.width % (4 * SEC)).toBe(0);
    expect(row.series.length).toBeLessThanOrEqual(121);
    // The first bucket holds T0's attempts of both pairs (and T0 + 1 s, merged).
    expect(row.series[0]).toMatchObject({ completed: 6, failed: 2 });
  });

  it('draws a failed and a completed area per rule, each with a title, and a UTC axis', () => {
    const svg = renderTimelineSvg(buildSampleAudit());
    const m = buildTimeline(buildSampleAudit())!;
    expect(count(svg, /<path class="area-failed"/g)).toBe(m.rows.length);
    expect(count(svg, /<path class="area-completed"/g)).toBe(m.rows.length);
    expect(count(svg, /<title>/g)).toBe(2 * m.rows.length);
    expect(svg).toMatch(/<path class="area-failed" d="M[\d.]+,[\d.]+/);
    expect(svg).toContain('10:15'); // a tick label from scaleUtc's tickFormat
    expect(svg).toContain('UTC, 16 s per bucket');
  });

  it('handles a zero-length window (all attempts in one instant)', () => {
    const f = finding({ attempts: 2, completed: 2, timeline: { width: SEC, buckets: [[T0, 2, 0]] } });
    const m = buildTimeline({ findings: [f], window: { first_ts: T0, last_ts: T0 } })!;
    expect(m.end).toBeGreaterThan(m.start);
    expect(m.rows[0].completed).toBe(2);
    const svg = renderTimelineSvg({ findings: [f], window: { first_ts: T0, last_ts: T0 } });
    expect(svg).toContain('class="area-completed"');
    expect(svg).not.toContain('NaN');
  });

  it('degrades to a message when nothing was attempted', () => {
    const svg = renderTimelineSvg({ findings: [finding({ status: 'missing' })], window: { first_ts: null, last_ts: null } });
    expect(svg).toContain('No attempts in the data window to chart.');
  });
});

describe('host bars', () => {
  it('sums refused and unanswered attempts per host, as either side, worst first', () => {
    const m = buildHostBars({
      findings: [
        finding({ dst: '10.0.0.11', refused: 2, unanswered: 4, attempts: 6 }),
        finding({ dst: '10.0.0.10', refused: 1, attempts: 1 }),
        finding({ dst: '10.0.0.12', completed: 5, attempts: 5 }),
      ],
      unexpected: [unexpectedFlow({ dst: '93.184.216.34', refused: 3, completed: 0, attempts: 3 })],
      hosts: [{ address: '10.0.0.11', names: ['dc02.corp.example.com'], roles: [{ role: 'dc', source: 'inferred', confidence: 'high', why: '' }], role_source: 'inferred' }],
    });
    expect(m.bars.map((b) => [b.address, b.refused, b.unanswered])).toEqual([
      ['10.0.0.20', 6, 4],
      ['10.0.0.11', 2, 4],
      ['93.184.216.34', 3, 0],
      ['10.0.0.10', 1, 0],
    ]);
    expect(m.bars[1].label).toBe('10.0.0.11 dc02.corp.example.com [dc]');
  });

  it(`caps the bars at ${MAX_HOST_BARS} and counts the rest`, () => {
    const findings = Array.from({ length: 40 }, (_, i) => finding({ src: null, dst: `10.1.0.${i}`, refused: i + 1, attempts: i + 1 }));
    const m = buildHostBars({ findings, unexpected: [], hosts: [] });
    expect(m.bars).toHaveLength(MAX_HOST_BARS);
    expect(m.omitted).toBe(15);
    expect(m.bars[0].address).toBe('10.1.0.39');
    const svg = renderHostBarsSvg({ findings, unexpected: [], hosts: [] });
    expect(count(svg, /<rect class="bar-refused"/g)).toBe(MAX_HOST_BARS);
    expect(count(svg, /<rect class="bar-unanswered"/g)).toBe(MAX_HOST_BARS);
    expect(svg).toContain('and 15 more hosts not drawn');
  });

  it('degrades to a message when nothing failed', () => {
    expect(renderHostBarsSvg({ findings: [finding({ completed: 3, attempts: 3 })], unexpected: [], hosts: [] })).toContain('No refused or unanswered attempts.');
  });
});

describe('legends', () => {
  it('lists each status with its glyph and a title', () => {
    const svg = renderStatusLegend(['blocked', 'ok'] as FindingStatus[]);
    expect(count(svg, /<g class="legend-item"/g)).toBe(2);
    expect(svg).toContain(STATUS_STYLES.blocked.glyph);
    expect(svg).toContain('<title>blocked: attempted, refused or never answered</title>');
  });
  it('uses the hatch patterns for failures', () => {
    const svg = renderOutcomeLegend('x', ['completed', 'refused', 'unanswered']);
    expect(svg).toContain('url(#x-hatch-refused)');
    expect(svg).toContain('<pattern id="x-hatch-unanswered"');
  });
});

describe('sample audit', () => {
  it('spans the sample window', () => {
    const r = buildSampleAudit();
    expect(r.window).toEqual({ first_ts: SAMPLE_START, last_ts: SAMPLE_END });
  });
});
