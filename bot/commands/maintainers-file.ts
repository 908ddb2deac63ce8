// The kernel's MAINTAINERS file, read as get_maintainer.pl reads its F:/X: patterns: a section's M: addresses
// maintain the files its F: patterns match and its X: patterns do not. "dir/" is everything below dir; "*" and
// "?" do not cross a "/"; a pattern with no wildcard is that file or everything below it. N: (regular
// expressions on file names) and K: (content keywords) are not read: their maintainers are not found here.
export interface MaintainersSection {
  name: string;
  maintainers: string[];
  files: string[];
  excludes: string[];
}

export function parseMaintainers(text: string): MaintainersSection[] {
  const out: MaintainersSection[] = [];
  let cur: MaintainersSection | null = null;
  for (const line of text.split('\n')) {
    const tag = /^([A-Z]):\s*(.*)$/.exec(line);
    if (!tag) {
      if (line.trim() && !/^\s/.test(line)) {
        cur = { name: line.trim(), maintainers: [], files: [], excludes: [] };
        out.push(cur);
      }
      continue;
    }
    if (!cur) continue;
    const [, t, v] = tag;
    if (t === 'M') {
      const addr = /<([^>]+)>/.exec(v!)?.[1] ?? v!.trim();
      if (addr.includes('@')) cur.maintainers.push(addr.toLowerCase());
    } else if (t === 'F') cur.files.push(v!.trim());
    else if (t === 'X') cur.excludes.push(v!.trim());
  }
  return out.filter((s) => s.maintainers.length && s.files.length);
}

function matches(pattern: string, path: string): boolean {
  if (pattern.endsWith('/')) return path.startsWith(pattern);
  if (!/[*?]/.test(pattern)) return path === pattern || path.startsWith(`${pattern}/`);
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  return re.test(path);
}

/** The M: addresses of every section that covers any of `files`. */
export function maintainersOf(sections: MaintainersSection[], files: string[]): string[] {
  const out = new Set<string>();
  for (const s of sections) {
    if (files.some((f) => s.files.some((p) => matches(p, f)) && !s.excludes.some((p) => matches(p, f)))) for (const m of s.maintainers) out.add(m);
  }
  return [...out];
}
