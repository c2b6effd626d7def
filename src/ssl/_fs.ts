/**
 * File access for the few `SSLContext` methods that take paths. Loaded lazily through
 * `node:fs`, which Deno, Bun and Node provide; edge runtimes without it get a clear error and
 * can pass certificates and keys as data instead.
 * @module
 */
import { type Bytes, copyBytes } from "../_bytes.ts";

type Fs = typeof import("node:fs/promises");

let fs: Promise<Fs> | undefined;

function load(): Promise<Fs> {
  fs ??= import("node:fs/promises").catch(() => {
    throw new Error(
      "this runtime has no file system access (node:fs): pass certificates and keys as data " +
        "(cadata, or loadCertChain({ cert, key }))",
    );
  });
  return fs;
}

/** The bytes of the file at `path`. */
export async function readFileBytes(path: string): Promise<Bytes> {
  return copyBytes(await (await load()).readFile(path));
}

/** The names of the entries of directory `path`. */
export async function listDirectory(path: string): Promise<string[]> {
  return await (await load()).readdir(path);
}

/** Appends `text` to the file at `path`, creating it when missing. */
export async function appendText(path: string, text: string): Promise<void> {
  await (await load()).appendFile(path, text);
}
