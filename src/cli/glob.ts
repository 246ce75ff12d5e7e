/**
 * Minimal glob matching for `--include` / `--exclude` (Node 20 has no stable glob matcher):
 * `*` matches within one path segment, `**` across segments, `?` one character, `{a,b}` either.
 * A pattern without a slash matches the base name, as .gitignore and rsync do, so `--include '*.json'`
 * means what a user expects anywhere in the tree.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?'; // `**/`: zero or more directories
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += '(?:' + pattern.slice(i + 1, end).split(',').map(escapeRe).join('|') + ')';
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp('^' + re + '$');
}

function escapeRe(s: string): string {
  return s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
}

/** True when `path` (with forward slashes) matches `pattern` as described above. */
export function matchesGlob(path: string, pattern: string): boolean {
  const p = path.replace(/\\/g, '/');
  const re = globToRegExp(pattern);
  if (!pattern.includes('/')) {
    const base = p.slice(p.lastIndexOf('/') + 1);
    return re.test(base);
  }
  return re.test(p) || re.test(p.replace(/^\.\//, ''));
}
