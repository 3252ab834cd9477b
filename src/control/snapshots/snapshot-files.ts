/**
 * Where snapshots' data lives on the host: one RDB per shard under
 * `<data dir>/snapshots/<account>/<region>/<snapshot>/<NodeGroupId>.rdb`, and exports (CopySnapshot with
 * TargetBucket) under `<data dir>/exports/<bucket>/<name>-<NodeGroupId>.rdb`. Directories are the emulator's
 * user's alone (0700), files too (0600): they hold the caches' data.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scope } from '../../store/store.js';

export class SnapshotFiles {
  constructor(
    readonly root: string,
    readonly exportsRoot: string,
  ) {}

  dir(scope: Scope, name: string): string {
    return join(this.root, scope.account, scope.region, name);
  }

  shardFile(scope: Scope, name: string, nodeGroupId: string): string {
    return join(this.dir(scope, name), `${nodeGroupId}.rdb`);
  }

  /** A snapshot shard's RDB for a new node to start from; undefined when the snapshot kept no data (runtime none). */
  seedFile(scope: Scope, from: { snapshot: string; nodeGroupId: string }): string | undefined {
    const file = this.shardFile(scope, from.snapshot, from.nodeGroupId);
    return existsSync(file) ? file : undefined;
  }

  /** Creates the snapshot's directory (and its parents) private to the emulator's user. */
  async prepare(scope: Scope, name: string): Promise<void> {
    await privateDir(this.root, [scope.account, scope.region, name]);
  }

  /** Moves a completely written file into place: a snapshot never holds half a file under its shard's name. */
  async commit(partial: string, file: string): Promise<number> {
    await chmod(partial, 0o600);
    await rename(partial, file);
    return (await stat(file)).size;
  }

  async remove(scope: Scope, name: string): Promise<void> {
    await rm(this.dir(scope, name), { recursive: true, force: true });
  }

  /** Copies every shard file of one snapshot to another (CopySnapshot); returns each file's size. */
  async copy(scope: Scope, from: string, to: string, nodeGroupIds: string[]): Promise<number[]> {
    await this.prepare(scope, to);
    const sizes: number[] = [];
    for (const id of nodeGroupIds) {
      const target = this.shardFile(scope, to, id);
      await copyFile(this.shardFile(scope, from, id), `${target}.partial`);
      sizes.push(await this.commit(`${target}.partial`, target));
    }
    return sizes;
  }

  /** Writes a snapshot's shard files to a bucket's export folder, as `<name>-<NodeGroupId>.rdb`. */
  async export(scope: Scope, snapshot: string, nodeGroupIds: string[], bucket: string, name: string): Promise<void> {
    await privateDir(this.exportsRoot, [bucket]);
    for (const id of nodeGroupIds) {
      const target = join(this.exportsRoot, bucket, `${name}-${id}.rdb`);
      await copyFile(this.shardFile(scope, snapshot, id), `${target}.partial`);
      await this.commit(`${target}.partial`, target);
    }
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
