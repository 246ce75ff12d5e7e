import { describe, expect, it } from 'vitest';
import { loadCatalog, parseCatalog } from '../../../src/catalog/load.js';
import { renderCatalog } from '../../../src/catalog/render.js';
import { escapeMarkdownCell, sanitizeTerminal } from '../../../src/catalog/text.js';

const current = loadCatalog('hybrid-identity');
const old = loadCatalog('hybrid-identity-2016');

describe('renderCatalog', () => {
  it('prints an aligned terminal table with one line per rule and numbered notes', () => {
    const text = renderCatalog(old, 'table');
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('id '));
    expect(lines[header]).toMatch(/^id\s+from → to\s+protocol\s+transport\s+port\(s\)\s+required \/ condition\s+description$/);
    const rpc = lines.find((l) => l.startsWith('connect-dc-rpc-dynamic'))!;
    expect(rpc).toMatch(/connect → dc\s+RPC\s+tcp\/udp\s+1024-65353 \(dynamic RPC\)\s+required if initial-config\s+.*\[1\]$/);
    // Columns line up: "from → to" starts at the same offset on every rule line.
    const col = lines[header].indexOf('from → to');
    for (const r of old.rules) {
      const line = lines.find((l) => l.startsWith(r.id + ' '))!;
      expect(line.indexOf(`${r.from} → ${r.to}`), r.id).toBe(col);
    }
    expect(text).toMatch(/Notes:\n {2}\[1\] "65353" is a typo/);
    expect(text).toMatch(/connect-dc-ldaps .* required if ldaps/);
  });

  it('shows optional and multi-condition rules in words', () => {
    const text = renderCatalog(current, 'table');
    expect(text).toMatch(/pta-azure-ad-8080 .* optional if pass-through-auth/);
    expect(text).toMatch(/connect-dc-smb .* required if seamless-sso or password-writeback/);
    expect(text).toMatch(/ignored \(no role\)\s+dc\.services\.visualstudio\.com, \*\.nsatc\.net/);
  });

  it('prints a Markdown table for a ticket: one row per rule, wildcards escaped', () => {
    const md = renderCatalog(current, 'md');
    const ids = new Set(current.rules.map((r) => r.id));
    const rows = md.split('\n').filter((l) => ids.has(l.split(' | ')[0].slice(2)));
    expect(rows).toHaveLength(current.rules.length);
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|').length - 2).toBe(7);
    expect(md).toContain('| connect-dc-msrpc | connect → dc | MS-RPC | tcp | 135 | required |');
    expect(md).toContain('\\*.microsoftonline.com');
  });

  it('escapes pipes and Markdown specials in a user catalog so cells cannot break the table', () => {
    const c = parseCatalog(
      `title: "Ports | <script>alert(1)</script>"
rules:
  - id: x
    table: T
    from: connect
    to: dc
    protocol: "LDAP|evil"
    transports: tcp
    ports: 389
    description: "**bold** _em_ [link](http://x) \`code\` a|b"
`,
      'u.yaml',
    );
    const md = renderCatalog(c, 'md');
    const row = md.split('\n').find((l) => l.startsWith('| x |'))!;
    expect(row).toBe(
      '| x | connect → dc | LDAP\\|evil | tcp | 389 | required | \\*\\*bold\\*\\* \\_em\\_ \\[link\\](http://x) \\`code\\` a\\|b |',
    );
    // Unescaped pipes split cells: this row must still have exactly 7 cells.
    expect(row.replace(/\\\|/g, '').split('|').length - 2).toBe(7);
    expect(md).toContain('\\<script\\>');
    expect(md).not.toContain('<script>');
  });

  it('renders JSON that holds the whole catalog', () => {
    const back = JSON.parse(renderCatalog(old, 'json'));
    expect(back.rules).toHaveLength(19);
    expect(back.rules.find((r: { id: string }) => r.id === 'connect-dc-rpc-dynamic').ports).toEqual({ from: 1024, to: 65353 });
  });
});

describe('text helpers', () => {
  it('terminal text loses escape sequences and line breaks', () => {
    expect(sanitizeTerminal('a\x1b[31mred\nb\tc')).toBe('a?[31mred b c');
  });
  it('markdown cells fold newlines and escape specials', () => {
    expect(escapeMarkdownCell('a|b\nc *d*')).toBe('a\\|b c \\*d\\*');
  });
});
