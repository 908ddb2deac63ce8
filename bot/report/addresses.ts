// Address lists as they appear in To/Cc headers, parsed with nodemailer's parser so quoted names with
// commas ("Doe, John" <john@example.org>) stay one address.
import addressparser from 'nodemailer/lib/addressparser';

export interface Mailbox {
  name: string;
  address: string;
}

/** Every mailbox in the given header values (groups flattened), addresses lower-cased. */
export function parseMailboxes(values: string[]): Mailbox[] {
  const out: Mailbox[] = [];
  for (const v of values) {
    for (const a of addressparser(v, { flatten: true })) {
      if (a.address) out.push({ name: a.name ?? '', address: a.address.toLowerCase() });
    }
  }
  return out;
}

/** "Name <addr>", quoting the name when it holds characters that would split or confuse the header. */
export function formatMailbox(m: Mailbox): string {
  const name = m.name.replace(/[\r\n]+/g, ' ').trim();
  if (!name || name.toLowerCase() === m.address.toLowerCase()) return m.address;
  const quoted = /[",;:<>@()[\]\\.]/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : name;
  return `${quoted} <${m.address}>`;
}

/** A shell-style glob (* and ?) or a plain address, matched case-insensitively against an address. */
export function matchesSender(pattern: string, address: string): boolean {
  const re = new RegExp(
    '^' + pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))).join('') + '$',
    'i',
  );
  return re.test(address);
}
