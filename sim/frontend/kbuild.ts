// Which .c files the kernel's build compiles under a kconfig, read from the tree's own Kbuild makefiles: a file
// is built when the Makefile of its directory names its object on an `obj-y`, `obj-$(CONFIG_X)` (X on) or
// composite-object line, and its directory is built by the Makefile above it. A definition in a file the build
// leaves out (mm/kasan/shadow.c's memset() without CONFIG_KASAN) is not the one the kernel runs.
import type { Kconfig } from './ast.ts';
import { kconfigValue } from './if-expr.ts';

type Cond = boolean | undefined;

interface MakeLine {
  lhs: string;
  objs: string[];
}

export class Kbuild {
  private readonly makefiles = new Map<string, Promise<MakeLine[] | null>>();
  private readonly dirs = new Map<string, Promise<Cond>>();

  constructor(private readonly readFile: (path: string) => Promise<string | null>, private readonly kconfig: Kconfig) {}

  /** Whether the build compiles `path` under the kconfig; undefined where its makefiles do not say. */
  async built(path: string): Promise<Cond> {
    if (!path.endsWith('.c')) return undefined;
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    const obj = `${path.slice(slash + 1, -2)}.o`;
    const [file, d] = await Promise.all([this.objBuilt(dir, obj, 0), this.dirBuilt(dir)]);
    if (file === false || d === false) return false;
    return file === undefined && d === undefined ? undefined : true;
  }

  private lines(dir: string): Promise<MakeLine[] | null> {
    let p = this.makefiles.get(dir);
    if (!p) {
      p = (async () => {
        const text = (await this.readFile(`${dir}/Makefile`)) ?? (await this.readFile(`${dir}/Kbuild`));
        if (text === null) return null;
        const out: MakeLine[] = [];
        for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
          const m = /^\s*([A-Za-z0-9_.$()-]+)\s*(?:\+=|:=|=)\s*(.*)$/.exec(raw.replace(/#.*$/, ''));
          if (m) out.push({ lhs: m[1], objs: m[2].split(/\s+/).filter(Boolean) });
        }
        return out;
      })();
      this.makefiles.set(dir, p);
    }
    return p;
  }

  /** The condition of a left-hand side: obj-y → on, obj-$(CONFIG_X) → X, name-y/name-objs → name.o's. */
  private async lhsCond(dir: string, lhs: string, depth: number): Promise<Cond> {
    let m = /^(obj|lib|core|drivers|libs)-(y|m|objs)$/.exec(lhs);
    if (m) return true;
    m = /^(obj|lib|core|drivers|libs)-\$\((CONFIG_[A-Za-z0-9_]+)\)$/.exec(lhs);
    if (m) return this.on(m[2]);
    m = /^(.+)-(y|objs)$/.exec(lhs);
    if (m) return this.objBuilt(dir, `${m[1]}.o`, depth + 1);
    m = /^(.+)-\$\((CONFIG_[A-Za-z0-9_]+)\)$/.exec(lhs);
    if (m) {
      const c = this.on(m[2]);
      if (c === false) return false;
      return this.objBuilt(dir, `${m[1]}.o`, depth + 1);
    }
    return undefined;
  }

  private on(option: string): boolean {
    const v = this.kconfig[option];
    if (v === 'y' || v === 'm' || v === true) return true;
    return (kconfigValue(this.kconfig, option) ?? 0) !== 0;
  }

  /** Whether an object of `dir` is built: true if any line naming it is on, false if all are off. */
  private async objBuilt(dir: string, obj: string, depth: number): Promise<Cond> {
    if (depth > 4) return undefined;
    const lines = await this.lines(dir);
    if (!lines) return undefined;
    const named = lines.filter((l) => l.objs.includes(obj));
    if (!named.length) return undefined;
    let any: Cond = false;
    for (const l of named) {
      const c = await this.lhsCond(dir, l.lhs, depth);
      if (c === true) return true;
      if (c === undefined) any = undefined;
    }
    return any;
  }

  /** Whether a directory is built: named as `dir/` by its parent's Makefile. Top-level directories are. */
  private dirBuilt(dir: string): Promise<Cond> {
    let p = this.dirs.get(dir);
    if (!p) {
      p = (async () => {
        const slash = dir.lastIndexOf('/');
        if (slash < 0) return undefined;
        const parent = dir.slice(0, slash);
        const [own, up] = await Promise.all([this.objBuilt(parent, `${dir.slice(slash + 1)}/`, 0), this.dirBuilt(parent)]);
        if (own === false || up === false) return false;
        return own === undefined && up === undefined ? undefined : true;
      })();
      this.dirs.set(dir, p);
    }
    return p;
  }
}
