/**
 * @fileoverview Writing outputs so that no one sees them half-written, and nothing else is
 * touched:
 *   - one file: a temporary file created exclusively (O_EXCL, O_NOFOLLOW, mode 0600 until its
 *     own mode is set) beside the target, written, fsynced, then renamed over it. A link or a file
 *     planted at a temporary name is never followed or reused;
 *   - a tree (fleets, matchbox): every file is staged in a new directory beside the target, and
 *     the staged directory is swapped in only when all of them are written. crinit keeps a record
 *     of the files it owns there (.crinit-owned): a later run drops those it no longer writes and
 *     keeps every file it never wrote.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { crypto } from './builtins.js';

/** The record of the files crinit wrote in an output directory. */
export const OWNED_RECORD = '.crinit-owned';

/** writeAll writes buf from off to its end. */
function writeAll(fd: number, buf: Buffer, off: number): void {
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * writeExclusive creates path (never an existing file or link), writes data and gives it mode.
 * The mode is set with fchmod(2), as the umask may take bits from the one open(2) is given.
 * `created` is the mode open(2) gives a file asked for 0600 under this process's umask, when
 * known: a file of that mode then needs no fchmod. Without it, it is found (fstat(2)) and
 * returned.
 */
function writeExclusive(path: string, data: string | Buffer, mode: number, sync = true, created?: number): number | undefined {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const found = created === undefined ? fstatSync(fd).mode & 0o777 : undefined;
    if (typeof data === 'string') {
      // Written as it is (Node encodes it without a Buffer of ours); a regular file takes it
      // whole, and only a short write goes on from its bytes.
      const n = writeSync(fd, data);
      if (n !== Buffer.byteLength(data)) writeAll(fd, Buffer.from(data, 'utf8'), n);
    } else writeAll(fd, data, 0);
    if ((created ?? found) !== mode) fchmodSync(fd, mode);
    if (sync) fsyncSync(fd);
    return found;
  } finally {
    closeSync(fd);
  }
}

function tempName(dir: string, base: string): string {
  return join(dir, `.${base}.crinit-${crypto().randomBytes(8).toString('hex')}.tmp`);
}

/** writeFileAtomically replaces path with data, or leaves it as it was. */
export function writeFileAtomically(path: string, data: string | Buffer, mode = 0o600): void {
  const tmp = tempName(dirname(path), basename(path));
  try {
    writeExclusive(tmp, data, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface TreeFile {
  /** Relative to the output directory, with / separators and no .. segment. */
  readonly path: string;
  readonly data: string | Buffer;
  readonly mode: number;
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out;
}

/**
 * flushStaged puts the staged files on disk: syncfs(2) of their file system through sync -f
 * (coreutils) where there is one, one fsync(2) per file otherwise. A fleet of 10,000 files is
 * flushed in one call instead of 10,000.
 */
function flushStaged(stage: string, paths: readonly string[]): void {
  if (process.platform === 'linux' && spawnSync('sync', ['-f', stage], { stdio: 'ignore' }).status === 0) return;
  for (const p of paths) {
    const fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * A tree being staged beside its target: files are written into it one by one (a fleet's outputs
 * as they are rendered, so none is kept in memory), then commit() swaps it in, all or none, or
 * abort() removes it.
 */
export interface StagedTree {
  write(file: TreeFile): void;
  commit(): void;
  abort(): void;
}

function checkRelative(path: string): void {
  if (path.startsWith('/') || path.split('/').includes('..') || path === OWNED_RECORD) throw new Error(`internal: output path ${path} is not a plain relative path`);
}

/**
 * stageTree starts a tree for dir. Committed, dir holds the files written, and nothing in dir
 * changed unless every file was written. Files crinit wrote there before and does not write now
 * are removed; files it never wrote stay.
 */
export function stageTree(dir: string): StagedTree {
  if (existsSync(dir) && !lstatSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} exists and is not a directory`), { code: 'ENOTDIR' });
  const parent = dirname(dir);
  const stage = join(parent, `.${basename(dir)}.crinit-${crypto().randomBytes(8).toString('hex')}`);
  const retired = `${stage}.old`;
  mkdirSync(stage, { mode: 0o755 });
  const made = new Set<string>([stage]);
  const wanted = new Set<string>();
  let done = false;
  // The mode open(2) gives a file asked for 0600 under this process's umask, learnt from the
  // first file staged (writeExclusive).
  let created: number | undefined;
  const abort = (): void => {
    if (done) return;
    done = true;
    rmSync(stage, { recursive: true, force: true });
  };
  return {
    write(f) {
      try {
        checkRelative(f.path);
        const at = dirname(join(stage, f.path));
        if (!made.has(at)) mkdirSync(at, { recursive: true }), made.add(at);
        const found = writeExclusive(join(stage, f.path), f.data, f.mode, false, created);
        created ??= found;
        wanted.add(f.path);
      } catch (e) {
        abort();
        throw e;
      }
    },
    abort,
    commit() {
      try {
        // On disk before the swap: one flush of the file system, not one per file.
        flushStaged(stage, [...wanted].map((p) => join(stage, p)));
        if (existsSync(dir)) {
          const recordPath = join(dir, OWNED_RECORD);
          const owned = new Set<string>(existsSync(recordPath) ? (JSON.parse(readFileSync(recordPath, 'utf8')) as string[]) : []);
          // What crinit never wrote is carried over as it is (a hard link: same file, same owner).
          for (const rel of listFiles(dir)) {
            if (rel === OWNED_RECORD || wanted.has(rel) || owned.has(rel)) continue;
            mkdirSync(dirname(join(stage, rel)), { recursive: true });
            linkSync(join(dir, rel), join(stage, rel));
          }
        }
        writeExclusive(join(stage, OWNED_RECORD), `${JSON.stringify([...wanted].sort(), null, 1)}\n`, 0o644);
        if (existsSync(dir)) renameSync(dir, retired);
        renameSync(stage, dir);
        done = true;
      } catch (e) {
        abort();
        if (existsSync(retired) && !existsSync(dir)) renameSync(retired, dir);
        throw e;
      }
      rmSync(retired, { recursive: true, force: true });
    },
  };
}

/** writeTreeAtomically makes dir hold the files given, all or none (see stageTree). */
export function writeTreeAtomically(dir: string, files: readonly TreeFile[]): void {
  for (const f of files) checkRelative(f.path);
  const tree = stageTree(dir);
  for (const f of files) tree.write(f);
  tree.commit();
}
