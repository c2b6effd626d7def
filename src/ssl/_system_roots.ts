/**
 * The runtime's default trust anchors behind one interface, for `load_default_certs()` and
 * `set_default_verify_paths()`; and Python's `get_default_verify_paths()`. `node:fs` and
 * `node:tls` are imported lazily, so a runtime without them gets an empty list, not a crash.
 * @module
 */
import type { Bytes } from "../_bytes.ts";
import { pemDecode } from "../x509/pem.ts";

/** Python's `ssl.DefaultVerifyPaths`. */
export interface DefaultVerifyPaths {
  /** `SSL_CERT_FILE` or the built-in file, when that file exists; else null. */
  cafile: string | null;
  /** `SSL_CERT_DIR` or the built-in directory, when it exists; else null. */
  capath: string | null;
  /** The environment variable OpenSSL reads for a CA file. */
  openssl_cafile_env: string;
  /** The built-in CA file. */
  openssl_cafile: string;
  /** The environment variable OpenSSL reads for a CA directory. */
  openssl_capath_env: string;
  /** The built-in CA directory. */
  openssl_capath: string;
}

type Fs = typeof import("node:fs/promises");

async function nodeFs(): Promise<Fs | undefined> {
  try {
    return await import("node:fs/promises");
  } catch {
    return undefined;
  }
}

function env(name: string): string | undefined {
  try {
    const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
    const v = proc?.env?.[name];
    return v ? v : undefined;
  } catch {
    // Deno without --allow-env throws on access.
    return undefined;
  }
}

async function kind(fs: Fs | undefined, path: string): Promise<"file" | "dir" | undefined> {
  try {
    const st = await fs?.stat(path);
    return st?.isFile() ? "file" : st?.isDirectory() ? "dir" : undefined;
  } catch {
    return undefined;
  }
}

// OPENSSLDIR of the common builds: Debian/Ubuntu, Fedora/RHEL, Alpine and macOS (LibreSSL),
// and OpenSSL's own default.
const OPENSSL_DIRS = ["/usr/lib/ssl", "/etc/pki/tls", "/etc/ssl", "/usr/local/ssl"];

/**
 * Python's `ssl.get_default_verify_paths()`: OpenSSL's built-in CA file and directory (the
 * first OPENSSLDIR present here), overridden by `SSL_CERT_FILE` / `SSL_CERT_DIR`.
 *
 * @example
 * ```ts
 * import { defaultVerifyPaths } from "./_system_roots.ts";
 * console.log((await defaultVerifyPaths()).openssl_cafile_env); // SSL_CERT_FILE
 * ```
 */
export async function defaultVerifyPaths(): Promise<DefaultVerifyPaths> {
  const fs = await nodeFs();
  let dir = OPENSSL_DIRS[OPENSSL_DIRS.length - 1];
  for (const d of OPENSSL_DIRS) {
    if (await kind(fs, d) === "dir") {
      dir = d;
      break;
    }
  }
  const openssl_cafile = `${dir}/cert.pem`;
  const openssl_capath = `${dir}/certs`;
  const cafile = env("SSL_CERT_FILE") ?? openssl_cafile;
  const capath = env("SSL_CERT_DIR") ?? openssl_capath;
  return {
    cafile: await kind(fs, cafile) === "file" ? cafile : null,
    capath: await kind(fs, capath) === "dir" ? capath : null,
    openssl_cafile_env: "SSL_CERT_FILE",
    openssl_cafile,
    openssl_capath_env: "SSL_CERT_DIR",
    openssl_capath,
  };
}

// Bundles of the common distributions, tried when the runtime has no root list of its own.
const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/ssl/cert.pem", // macOS, Alpine, BSDs
];

async function readPemFile(fs: Fs, path: string): Promise<Bytes[]> {
  try {
    return pemDecode(await fs.readFile(path, "utf8"), "CERTIFICATE");
  } catch {
    return [];
  }
}

// An OpenSSL CA directory holds `<subject hash>.<n>` links (c_rehash); only those are read,
// as OpenSSL's lookup would find them.
async function readCertDir(fs: Fs, dir: string): Promise<Bytes[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const out: Bytes[] = [];
  for (const name of names.filter((n) => /^[0-9a-f]{8}\.\d+$/.test(n)).sort()) {
    out.push(...await readPemFile(fs, `${dir}/${name}`));
  }
  return out;
}

/**
 * The default trust anchors as DER, in order of preference: the files named by `SSL_CERT_FILE`
 * / `SSL_CERT_DIR` (as OpenSSL honours them); else `node:tls` `rootCertificates` (Node and Bun
 * bundle Mozilla's list, Deno its own); else the system bundle. Duplicates are not removed
 * (the trust store does that). Resolves to `[]` where none of these exist.
 *
 * @example
 * ```ts
 * import { loadSystemRoots } from "./_system_roots.ts";
 * console.log((await loadSystemRoots()).length > 0);
 * ```
 */
export async function loadSystemRoots(): Promise<Bytes[]> {
  const fs = await nodeFs();
  const file = env("SSL_CERT_FILE");
  const dir = env("SSL_CERT_DIR");
  if (fs && (file || dir)) {
    const out = [
      ...(file ? await readPemFile(fs, file) : []),
      ...(dir ? (await Promise.all(dir.split(":").map((d) => readCertDir(fs, d)))).flat() : []),
    ];
    if (out.length) return out;
  }
  try {
    const tls = await import("node:tls");
    const roots: readonly string[] = tls.rootCertificates ?? [];
    const out = roots.flatMap((pem) => pemDecode(pem, "CERTIFICATE"));
    if (out.length) return out;
  } catch {
    // No node:tls here (an edge runtime): fall through to the files.
  }
  if (!fs) return [];
  for (const bundle of SYSTEM_BUNDLES) {
    const out = await readPemFile(fs, bundle);
    if (out.length) return out;
  }
  return [];
}
