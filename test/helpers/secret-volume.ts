/**
 * A directory updated the way the kubelet updates a Secret volume
 * (kubernetes pkg/volume/util/atomic_writer.go): the files live in a
 * timestamped directory, `..data` is a symlink to it, each visible name is a
 * symlink through `..data`, and an update writes a new directory and swaps
 * `..data` with one rename. The visible files never change inode, so only a
 * watch on the directory sees the update.
 */
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class SecretVolume {
  readonly dir: string;
  #generation = 0;
  #current: string | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async write(files: Readonly<Record<string, string>>): Promise<void> {
    const version = `..2026_01_01_00_00_00.${++this.#generation}`;
    await mkdir(join(this.dir, version));
    for (const [name, content] of Object.entries(files)) await writeFile(join(this.dir, version, name), content);
    await symlink(version, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.#current === undefined) {
      for (const name of Object.keys(files)) await symlink(join('..data', name), join(this.dir, name));
    } else {
      await rm(join(this.dir, this.#current), { recursive: true, force: true });
    }
    this.#current = version;
  }
}
