/**
 * Where snapshots' data lives on the host: one RDB per shard under
 * `<data dir>/snapshots/<account>/<region>/<snapshot>/<NodeGroupId>.rdb`, and exports (CopySnapshot with
 * TargetBucket) under `<data dir>/exports/<bucket>/<name>-<NodeGroupId>.rdb`. Directories are the emulator's
 * user's alone (0700), files too (0600): they hold the caches' data. A snapshot of a cache encrypted at rest keeps
 * its shard files sealed (sealed-files.ts); they are opened only into a restore's seed file (removed once the node
 * has it) and into an export, which is a plain RDB as an export to S3 is.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scope } from '../../store/store.js';
import { dataSize, isSealed, sealFile, unsealFile } from './sealed-files.js';

/** A shard's RDB for a new node to start from, and how to let go of it once the node has it. */
export interface SeedFile {
  path: string;
  release(): Promise<void>;
}

export class SnapshotFiles {
  constructor(
    readonly root: string,
    readonly exportsRoot: string,
    /** The key sealed files are sealed with (sealed-files.ts's snapshotFileKey). */
    private readonly key: Buffer,
  ) {}

  dir(scope: Scope, name: string): string {
    return join(this.root, scope.account, scope.region, name);
  }

  shardFile(scope: Scope, name: string, nodeGroupId: string): string {
    return join(this.dir(scope, name), `${nodeGroupId}.rdb`);
  }

  /**
   * A snapshot shard's RDB for a new node to start from; undefined when the snapshot kept no data (runtime none). A
   * sealed shard is opened into a file beside it, removed by release().
   */
  async seedFile(scope: Scope, from: { snapshot: string; nodeGroupId: string }): Promise<SeedFile | undefined> {
    const file = this.shardFile(scope, from.snapshot, from.nodeGroupId);
    if (!existsSync(file)) return undefined;
    if (!(await isSealed(file))) return { path: file, release: async () => {} };
    await removeStaleSeeds(this.dir(scope, from.snapshot));
    const opened = `${file}.seed-${process.pid}-${Date.now()}`;
    await unsealFile(this.key, file, opened).catch(async (error) => {
      await rm(opened, { force: true });
      throw error;
    });
    return { path: opened, release: () => rm(opened, { force: true }) };
  }

  /** Creates the snapshot's directory (and its parents) private to the emulator's user. */
  async prepare(scope: Scope, name: string): Promise<void> {
    await privateDir(this.root, [scope.account, scope.region, name]);
  }

  /**
   * Moves a completely written file into place, sealed when asked: a snapshot never holds half a file under its
   * shard's name. Returns the size of the data it holds.
   */
  async commit(partial: string, file: string, options: { seal?: boolean } = {}): Promise<number> {
    await chmod(partial, 0o600);
    const size = (await stat(partial)).size;
    if (options.seal) {
      await sealFile(this.key, partial, `${partial}.sealed`);
      await rm(partial, { force: true });
      await rename(`${partial}.sealed`, file);
    } else {
      await rename(partial, file);
    }
    return size;
  }

  async remove(scope: Scope, name: string): Promise<void> {
    await rm(this.dir(scope, name), { recursive: true, force: true });
  }

  /** Every snapshot's files (a reset); exports stay, as objects written to S3 would. */
  async removeAll(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }

  /** Copies every shard file of one snapshot to another (CopySnapshot), sealed ones as they are; returns each one's data size. */
  async copy(scope: Scope, from: string, to: string, nodeGroupIds: string[]): Promise<number[]> {
    await this.prepare(scope, to);
    const sizes: number[] = [];
    for (const id of nodeGroupIds) {
      const target = this.shardFile(scope, to, id);
      await copyFile(this.shardFile(scope, from, id), `${target}.partial`);
      await this.commit(`${target}.partial`, target);
      sizes.push(await dataSize(target));
    }
    return sizes;
  }

  /** Writes a snapshot's shard files to a bucket's export folder, as plain RDBs named `<name>-<NodeGroupId>.rdb`. */
  async export(scope: Scope, snapshot: string, nodeGroupIds: string[], bucket: string, name: string): Promise<void> {
    await privateDir(this.exportsRoot, [bucket]);
    for (const id of nodeGroupIds) {
      const source = this.shardFile(scope, snapshot, id);
      const target = join(this.exportsRoot, bucket, `${name}-${id}.rdb`);
      if (await isSealed(source)) await unsealFile(this.key, source, `${target}.partial`);
      else await copyFile(source, `${target}.partial`);
      await this.commit(`${target}.partial`, target);
    }
  }
}

/**
 * Removes the opened seed files an earlier run left behind (a crash during a restore): they hold data in the clear.
 * Those of this run may be in use by a restore in progress.
 */
async function removeStaleSeeds(dir: string): Promise<void> {
  const mine = `.seed-${process.pid}-`;
  for (const name of await readdir(dir)) {
    if (name.includes('.seed-') && !name.includes(mine)) await rm(join(dir, name), { force: true });
  }
}

async function privateDir(root: string, parts: string[]): Promise<void> {
  let dir = root;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  for (const part of parts) {
    dir = join(dir, part);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
}
