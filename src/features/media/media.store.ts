import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { S3Client } from "bun";
import { config } from "@/config";

/**
 * Where media bytes live: files under `DATA_DIR/media` by default, or any S3-compatible bucket when
 * `S3_BUCKET` is set (Bun's built-in S3Client: no SDK to install). Keys are ours only
 * (`sha256/ab/<hex>` for content, `spool/<uuid>` for inline webhook bytes waiting for the worker), never
 * a tenant's string, so a key cannot walk out of the directory.
 */
export interface MediaStore {
  readonly kind: "disk" | "s3";
  put(key: string, bytes: Uint8Array, mimeType?: string): Promise<void>;
  read(key: string): Promise<Uint8Array>;
  /** The bytes as a stream (serving a file without holding it whole in memory twice). */
  stream(key: string): ReadableStream<Uint8Array>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

const KEY = /^(sha256\/[0-9a-f]{2}\/[0-9a-f]{64}|spool\/[0-9a-f-]{36})$/;

function checkedKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`not a media store key: ${key}`);
  return key;
}

/** The content key of bytes with this sha256 (hex). */
export function contentKey(sha256Hex: string): string {
  return `sha256/${sha256Hex.slice(0, 2)}/${sha256Hex}`;
}

export function diskStore(root: string): MediaStore {
  const path = (key: string) => join(root, checkedKey(key));
  return {
    kind: "disk",
    async put(key, bytes) {
      const target = path(key);
      await mkdir(dirname(target), { recursive: true });
      // Written beside the target, then renamed: a reader never sees half a file.
      const temp = `${target}.${crypto.randomUUID()}.part`;
      await Bun.write(temp, bytes);
      await rename(temp, target);
    },
    async read(key) {
      return new Uint8Array(await readFile(path(key)));
    },
    stream(key) {
      return Bun.file(path(key)).stream();
    },
    async exists(key) {
      return stat(path(key)).then(
        () => true,
        () => false,
      );
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
  };
}

export function s3Store(options: NonNullable<typeof config.media.s3>): MediaStore {
  const client = new S3Client({
    bucket: options.bucket,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.accessKeyId ? { accessKeyId: options.accessKeyId } : {}),
    ...(options.secretAccessKey ? { secretAccessKey: options.secretAccessKey } : {}),
  });
  return {
    kind: "s3",
    async put(key, bytes, mimeType) {
      await client.write(checkedKey(key), bytes, mimeType ? { type: mimeType } : {});
    },
    async read(key) {
      return new Uint8Array(await client.file(checkedKey(key)).arrayBuffer());
    },
    stream(key) {
      return client.file(checkedKey(key)).stream();
    },
    async exists(key) {
      return client.exists(checkedKey(key));
    },
    async delete(key) {
      await client.delete(checkedKey(key));
    },
  };
}

let cached: { settings: unknown; dataDir: string; store: MediaStore } | undefined;

/** The configured store (re-read when tests change `config.media.s3` or `config.dataDir`). */
export function mediaStore(): MediaStore {
  const settings = config.media.s3;
  if (!cached || cached.settings !== settings || cached.dataDir !== config.dataDir) {
    const store = settings ? s3Store(settings) : diskStore(resolve(config.dataDir, "media"));
    cached = { settings, dataDir: config.dataDir, store };
  }
  return cached.store;
}
