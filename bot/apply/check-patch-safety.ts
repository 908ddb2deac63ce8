// Refuse patches that would write outside the worktree, into git's own files, or through symlinks. Both the
// raw text and the mail parser's FileDiff are checked: if either reading of the patch sees a hostile path,
// the patch is refused (git am reads the raw text, and parsers disagree on odd input).
import type { FileDiff } from '../types.ts';
import { headerNames, scanPatch, stripPrefix, type HeaderKind } from './scan-patch.ts';

/**
 * The file type git gives a mode it reads from a patch: git parses the digits as octal (strtoul base 8, so
 * "0120000" and "120644" are symlinks) and keeps the type bits (canon_mode: a regular file, a symlink, a
 * directory, and anything else is a gitlink). Null for a mode git would not read.
 */
export function gitFileType(mode: string): 'file' | 'symlink' | 'gitlink' | null {
  const digits = /^[0-7]+/.exec(mode.trim())?.[0];
  if (!digits) return null;
  const type = Number.parseInt(digits, 8) & 0o170000;
  if (type === 0o100000) return 'file';
  if (type === 0o120000) return 'symlink';
  return 'gitlink';
}

/** Null when the patch is safe to hand to git am; otherwise one sentence naming the path and the reason. */
export function checkPatchSafety(patchText: string, files: FileDiff[]): string | null {
  return patchHazard(patchText, files)?.sentence ?? null;
}

export interface PatchHazard {
  /** The offending path as the patch names it. */
  path: string;
  sentence: string;
}

/** Like checkPatchSafety, with the offending path apart from the sentence. */
export function patchHazard(patchText: string, files: FileDiff[]): PatchHazard | null {
  const scan = scanPatch(patchText);
  for (const h of scan.headers) {
    const where = `line ${h.lineNo}, "${h.kind}"`;
    for (const raw of headerNames(h.kind, h.value)) {
      const problem = pathProblem(raw, true);
      if (problem) return { path: shown(raw), sentence: `Refused: "${shown(raw)}" (${where}) ${problem}.` };
    }
    const modeProblem = modeProblemOf(h.kind, h.value);
    if (modeProblem) {
      const names = scan.sections[h.section]?.names ?? [];
      const path = names[names.length - 1] ?? 'a file';
      return { path, sentence: `Refused: "${path}" (${where}) ${modeProblem}.` };
    }
  }
  for (const f of files) {
    const names: Array<[string, string | null | undefined]> = [
      ['from', f.from],
      ['to', f.to],
      ['rename from', f.renameFrom],
      ['rename to', f.renameTo],
    ];
    for (const [field, name] of names) {
      if (name === null || name === undefined) continue;
      const problem = pathProblem(name, false);
      if (problem) return { path: name, sentence: `Refused: "${name}" (the diff's ${field} path) ${problem}.` };
    }
    const target = f.to ?? f.from ?? '?';
    if (f.to !== null && f.isSymlink) return hazard(target, `Refused: "${target}" (the diff) is a symlink the patch creates or changes; a patch may not touch symlinks.`);
    const type = f.newMode === undefined ? null : gitFileType(f.newMode);
    if (type === 'symlink') return hazard(target, `Refused: "${target}" (the diff's new mode ${f.newMode}, which git reads as 120000) would become a symlink; a patch may not create symlinks.`);
    if (type === 'gitlink') return hazard(target, `Refused: "${target}" (the diff's new mode ${f.newMode}, which git reads as 160000) would become a submodule link, which a kernel patch has no business creating.`);
  }
  return null;
}

function hazard(path: string, sentence: string): PatchHazard {
  return { path, sentence };
}

function shown(raw: string): string {
  return raw.startsWith('/') ? raw : (stripPrefix(raw) ?? raw);
}

/**
 * Why a name is unsafe, or null. With `prefixed`, the name is as a header writes it (a/..., or marked as
 * unprefixed by scanPatch); otherwise it is a bare tree path.
 */
function pathProblem(raw: string, prefixed: boolean): string | null {
  if (prefixed && raw.startsWith('/') && raw !== '/dev/null') return 'is an absolute path';
  const name = prefixed ? stripPrefix(raw) : raw;
  if (name === null || name === '') return null;
  if (name.startsWith('/')) return 'is an absolute path';
  if (name.includes('\0')) return 'contains a NUL byte';
  const parts = name.split(/[\\/]/);
  if (parts.includes('..')) return 'climbs out of the tree through a ".." component';
  // Case and trailing dots/spaces ignored, and the 8.3 short name, as git itself does on checkout.
  if (parts.some((p) => /^\.git[. ]*$/i.test(p) || /^git~1$/i.test(p))) return 'is inside a .git directory, which holds the repository itself';
  return null;
}

function modeProblemOf(kind: HeaderKind, value: string): string | null {
  let mode: string | undefined;
  if (kind === 'new file mode' || kind === 'new mode') mode = value.trim();
  // "index abc..def 120000": the file stays a symlink and its target changes.
  else if (kind === 'index') mode = /^\S+\s+([0-7]+)\s*$/.exec(value)?.[1];
  const type = mode === undefined ? null : gitFileType(mode);
  const read = mode !== undefined && mode.replace(/^0+/, '') !== (type === 'symlink' ? '120000' : '160000') ? `mode ${mode}, which git reads as ${type === 'symlink' ? '120000' : '160000'}` : `mode ${mode}`;
  if (type === 'symlink') {
    return kind === 'index' ? `is a symlink (${read}) whose target the patch changes; a patch may not change symlinks` : `would become a symlink (${read}); a patch may not create symlinks`;
  }
  if (type === 'gitlink') return `would become a submodule link (${read}), which a kernel patch has no business creating`;
  return null;
}
