// Regenerates examples/series/<name>.mbox from examples/series-src/<name>.ts: builds the series' example tree in a
// temp dir, commits each patch's edits with the author and date the source gives, and runs git format-patch. Dates,
// identities, Message-IDs and the signature are fixed, so the output only changes when a tree or a source does.
//
// CLI: node --import tsx examples/make-series.ts [name ...]   (all series when no name is given)

import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExampleTree, examplesDir, git, gitEnv } from './build-tree.ts';
import type { Edit, SeriesSource } from './series-source.ts';
import { allSeries } from './series-src/index.ts';

export const seriesDir = join(examplesDir, 'series');
const srcDir = join(examplesDir, 'series-src');

/** The git version the mails claim to come from unless the source says (format-patch signature); fixed for reproducible output. */
const SIGNATURE = '2.13.0';

async function applyEdits(repo: string, edits: Edit[], where: string): Promise<void> {
  for (const e of edits) {
    const file = join(repo, e.path);
    if ('from' in e) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, await readFile(join(srcDir, e.from), 'utf8'));
      continue;
    }
    const text = await readFile(file, 'utf8').catch(() => {
      throw new Error(`${where}: ${e.path} does not exist in the tree`);
    });
    const at = text.indexOf(e.find);
    if (at < 0) throw new Error(`${where}: text to replace not found in ${e.path}: ${JSON.stringify(e.find.slice(0, 80))}`);
    if (text.indexOf(e.find, at + 1) >= 0) throw new Error(`${where}: text to replace occurs more than once in ${e.path}`);
    await writeFile(file, text.slice(0, at) + e.replace + text.slice(at + e.find.length));
  }
}

function compactDate(date: string): string {
  const d = new Date(date);
  if (Number.isNaN(d.getTime())) throw new Error(`bad date ${date}`);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Message-ID in git send-email's shape, derived from the series (not from the clock). */
function messageId(s: SeriesSource, index: number): string {
  const first = s.cover?.date ?? s.patches[0].date;
  return `<${compactDate(first)}.${s.name.length * 97 + 1000}-${index}-${s.author.email}>`;
}

/** Builds the series against its tree and returns the mbox text. */
export async function makeSeries(s: SeriesSource): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-series-'));
  try {
    const { path: repo, head } = await buildExampleTree(s.tree, join(dir, 'tree'));
    let base = head;
    if (s.prep?.length) {
      await applyEdits(repo, s.prep, `${s.name} prep`);
      await git(repo, ['commit', '-q', '-a', '-m', 'Local changes the series was written against']);
      base = (await git(repo, ['rev-parse', 'HEAD'])).trim();
    }
    for (const [i, p] of s.patches.entries()) {
      await applyEdits(repo, p.edits, `${s.name} patch ${i + 1}`);
      await git(repo, ['add', '-A']);
      await git(repo, ['commit', '-q', '-m', `${p.subject}\n\n${p.body.trim()}\n`], gitEnv(p.date, s.author));
    }
    const out = join(dir, 'out');
    const args = ['format-patch', '-q', '-o', out, '--thread=shallow', `--signature=${s.gitVersion ?? SIGNATURE}`, '--no-binary'];
    if (s.cover) args.push('--cover-letter');
    if (s.patches.length > 1 || s.cover) args.push('--numbered');
    if (s.version) args.push(`--subject-prefix=PATCH ${s.version}`);
    if (s.withBase !== false && !s.prep?.length) args.push(`--base=${base}`);
    for (const t of s.to) args.push(`--to=${t}`);
    for (const c of s.cc) args.push(`--cc=${c}`);
    args.push(`${base}..HEAD`);
    await git(repo, args, gitEnv(s.cover?.date ?? s.patches[s.patches.length - 1].date, s.author));

    const files = (await readdir(out)).sort();
    const mails = await Promise.all(files.map((f) => readFile(join(out, f), 'utf8')));
    return finish(s, mails);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fills in the cover letter and replaces git's clock-based Message-IDs with stable ones. */
function finish(s: SeriesSource, mails: string[]): string {
  const ids = new Map<string, string>();
  mails.forEach((m, i) => {
    const id = /^Message-Id: (<[^>]+>)$/m.exec(m)?.[1];
    if (id) ids.set(id, messageId(s, i));
  });
  const fixed = mails.map((m, i) => {
    let t = m;
    for (const [from, to] of ids) t = t.split(from).join(to);
    if (i === 0 && s.cover) {
      t = t.replace('*** SUBJECT HERE ***', s.cover.subject).replace('*** BLURB HERE ***', s.cover.body.trim());
      t = t.replace(/^Date: .*$/m, `Date: ${rfc2822(s.cover.date)}`);
    }
    return t;
  });
  return fixed.join('\n');
}

function rfc2822(date: string): string {
  // git's own date format in mails: "Mon, 22 May 2017 12:51:00 -0400", keeping the source's zone.
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) ([+-]\d{4})$/.exec(date);
  if (!m) throw new Error(`cover date must look like 2017-05-22 12:51:00 -0400, got ${date}`);
  const [, y, mo, d, h, mi, sec, zone] = m;
  const day = new Date(Date.UTC(+y, +mo - 1, +d)).getUTCDay();
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${days[day]}, ${+d} ${months[+mo - 1]} ${y} ${h}:${mi}:${sec} ${zone}`;
}

/** Regenerates the named series (all when `names` is empty); returns the paths written. */
export async function writeSeries(names: string[] = []): Promise<string[]> {
  const chosen = names.length ? allSeries.filter((s) => names.includes(s.name)) : allSeries;
  const unknown = names.filter((n) => !allSeries.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown series: ${unknown.join(', ')} (known: ${allSeries.map((s) => s.name).join(', ')})`);
  await mkdir(seriesDir, { recursive: true });
  const written: string[] = [];
  for (const s of chosen) {
    const file = join(seriesDir, `${s.name}.mbox`);
    await writeFile(file, await makeSeries(s));
    written.push(file);
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    for (const f of await writeSeries(process.argv.slice(2))) console.log(f);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
