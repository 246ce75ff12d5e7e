import { describe, expect, it } from 'vitest';
import { escapeCsv, escapeHtml, escapeMarkdown, markdownCode, toSingleLine } from '../../../src/report/escape.js';

describe('escapeHtml', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });
});

describe('escapeMarkdown', () => {
  it('turns HTML into entities so no tag reaches the renderer', () => {
    expect(escapeMarkdown('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeMarkdown('a & b')).toBe('a &amp; b');
  });

  it('escapes emphasis, links, code and table pipes', () => {
    expect(escapeMarkdown('*a* _b_ [c](http://x) `d` e|f ~g~ \\')).toBe(
      '\\*a\\* \\_b\\_ \\[c\\](http://x) \\`d\\` e\\|f \\~g\\~ \\\\',
    );
  });

  it('keeps data on one line and cannot start a block', () => {
    expect(escapeMarkdown('host\n# Heading\r\n- item\tx')).toBe('host # Heading - item x');
    expect(escapeMarkdown('# not a heading')).toBe('\\# not a heading');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('1. not a list')).toBe('1\\. not a list');
    expect(escapeMarkdown('===')).toBe('\\===');
    // Not block starts: left readable.
    expect(escapeMarkdown('-1')).toBe('-1');
    expect(escapeMarkdown('10.0.0.10')).toBe('10.0.0.10');
  });

  it('replaces control and bidi override characters', () => {
    expect(toSingleLine('a\u0007b\u202Ec')).toBe('a\uFFFDb\uFFFDc');
  });
});

describe('markdownCode', () => {
  it('uses a fence longer than any backtick run inside', () => {
    expect(markdownCode('ip.addr==10.0.0.1')).toBe('`ip.addr==10.0.0.1`');
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(markdownCode('a``b`')).toBe('``` a``b` ```');
  });

  it('escapes pipes inside a table cell, and only there', () => {
    expect(markdownCode('tcp.port==88 || udp.port==88', true)).toBe('`tcp.port==88 \\|\\| udp.port==88`');
    expect(markdownCode('tcp.port==88 || udp.port==88')).toBe('`tcp.port==88 || udp.port==88`');
  });

  it('leaves HTML literal (code spans never interpret it) and flattens newlines', () => {
    expect(markdownCode('<b>\nx')).toBe('`<b> x`');
  });
});

describe('escapeCsv', () => {
  it('quotes text and doubles quotes (RFC 4180)', () => {
    expect(escapeCsv('a,"b"\r\nc')).toBe('"a,""b""\r\nc"');
    expect(escapeCsv(42)).toBe('42');
    expect(escapeCsv(null)).toBe('');
    expect(escapeCsv(true)).toBe('true');
  });

  it('neutralises formula starts (OWASP CSV injection)', () => {
    expect(escapeCsv("=cmd|' /C calc'!A0")).toBe(`"'=cmd|' /C calc'!A0"`);
    for (const start of ['+', '-', '@', '\t', '\r']) expect(escapeCsv(`${start}1+1`)).toBe(`"'${start}1+1"`);
    expect(escapeCsv('a=1')).toBe('"a=1"');
  });
});
