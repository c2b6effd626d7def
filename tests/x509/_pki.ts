// Test PKI made at test time with the openssl CLI (3.0+) in a temporary directory.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pemDecode } from "../../src/x509/pem.ts";

type Bytes = Uint8Array<ArrayBuffer>;

/** Key algorithms the helper can make. */
export type KeyAlg = "ec" | "ec384" | "rsa" | "rsa1024" | "ed25519";

/** How to make one certificate. */
export interface CertSpec {
  /** File stem and default CN. */
  name: string;
  /** `-subj` value (default `/CN=<name>`). */
  subject?: string;
  /** Issuer stem; omitted for a self-signed certificate. */
  issuer?: string;
  /** Extension lines for the `[ext]` section. */
  ext?: string[];
  /** Key algorithm (default P-256). */
  key?: KeyAlg;
  /** Extra `openssl x509`/`req` arguments (e.g. `-sha1`, `-sigopt ...`). */
  args?: string[];
  /** Validity in days (default 3650). */
  days?: number;
  /** Extra `openssl req` arguments (e.g. `-utf8`). */
  reqArgs?: string[];
  /** Serial number (default: a counter). */
  serial?: string;
}

/** Extensions of a CA certificate (RFC 5280 profile). */
export const CA_EXT = [
  "basicConstraints = critical, CA:TRUE",
  "keyUsage = critical, keyCertSign, cRLSign",
  "subjectKeyIdentifier = hash",
  "authorityKeyIdentifier = keyid:always",
];

/** Extensions of a TLS server certificate for `names` (`DNS:…`, `IP:…`). */
export function serverExt(...names: string[]): string[] {
  return [
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature",
    "extendedKeyUsage = serverAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid:always",
    ...(names.length ? [`subjectAltName = ${names.join(", ")}`] : []),
  ];
}

/** Runs the openssl CLI; a missing binary fails with the install command. */
export function openssl(cwd: string, args: string[]): string {
  try {
    return execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] }).toString();
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") {
      throw new Error("openssl is not installed: apt-get install -y openssl");
    }
    throw e;
  }
}

const KEY_ARGS: Record<KeyAlg, string[]> = {
  ec: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  ec384: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  rsa: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  rsa1024: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
  ed25519: ["-algorithm", "ED25519"],
};

/** A scratch directory of certificates; `dispose()` removes it. */
export class Pki {
  /** The directory. */
  readonly dir = mkdtempSync(join(tmpdir(), "webtls-x509-"));
  #serial = 1000;

  /** Makes a certificate; returns its DER. */
  make(spec: CertSpec): Bytes {
    const { name } = spec;
    const subject = spec.subject ?? `/CN=${name}`;
    openssl(this.dir, ["genpkey", ...KEY_ARGS[spec.key ?? "ec"], "-out", `${name}.key`]);
    writeFileSync(
      join(this.dir, `${name}.cnf`),
      `[req]\ndistinguished_name = dn\n[dn]\n[ext]\n${(spec.ext ?? []).join("\n")}\n`,
    );
    const days = String(spec.days ?? 3650);
    const ext = spec.ext?.length ? ["-extfile", `${name}.cnf`, "-extensions", "ext"] : [];
    if (!spec.issuer) {
      openssl(this.dir, [
        "req",
        "-new",
        "-x509",
        "-key",
        `${name}.key`,
        "-subj",
        subject,
        "-days",
        days,
        "-config",
        `${name}.cnf`,
        ...(spec.ext?.length ? ["-extensions", "ext"] : []),
        "-out",
        `${name}.pem`,
        ...(spec.reqArgs ?? []),
        ...(spec.args ?? []),
      ]);
    } else {
      openssl(this.dir, [
        "req",
        "-new",
        "-key",
        `${name}.key`,
        "-subj",
        subject,
        "-config",
        `${name}.cnf`,
        "-out",
        `${name}.csr`,
        ...(spec.reqArgs ?? []),
      ]);
      openssl(this.dir, [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        `${spec.issuer}.pem`,
        "-CAkey",
        `${spec.issuer}.key`,
        "-set_serial",
        spec.serial ?? String(this.#serial++),
        "-days",
        days,
        ...ext,
        "-out",
        `${name}.pem`,
        ...(spec.args ?? []),
      ]);
    }
    return this.der(name);
  }

  /**
   * Issues `name` from CA `issuer` with `openssl ca`, which (unlike `x509 -req` in 3.0) takes
   * explicit start and end dates (`YYYYMMDDHHMMSSZ`); `revoke` then revokes it and returns
   * the CRL's DER.
   */
  issueDated(spec: CertSpec & { issuer: string; start: string; end: string }): Bytes {
    this.#caConfig(spec.issuer, spec.ext ?? []);
    const { name } = spec;
    openssl(this.dir, ["genpkey", ...KEY_ARGS[spec.key ?? "ec"], "-out", `${name}.key`]);
    openssl(this.dir, [
      "req",
      "-new",
      "-key",
      `${name}.key`,
      "-subj",
      spec.subject ?? `/CN=${name}`,
      "-config",
      `${spec.issuer}.ca.cnf`,
      "-out",
      `${name}.csr`,
    ]);
    openssl(this.dir, [
      "ca",
      "-batch",
      "-config",
      `${spec.issuer}.ca.cnf`,
      "-in",
      `${name}.csr`,
      "-startdate",
      spec.start,
      "-enddate",
      spec.end,
      "-extensions",
      "ext",
      "-notext",
      "-out",
      `${name}.pem`,
    ]);
    return this.der(name);
  }

  /** Revokes `name` (issued by `issueDated` from `issuer`) and returns the new CRL as DER. */
  revoke(issuer: string, name: string): Bytes {
    openssl(this.dir, ["ca", "-config", `${issuer}.ca.cnf`, "-revoke", `${name}.pem`]);
    return this.crl(issuer);
  }

  /** A fresh CRL of `issuer` (made by `openssl ca -gencrl`) as DER. */
  crl(issuer: string): Bytes {
    if (!existsSync(join(this.dir, `${issuer}.ca.cnf`))) this.#caConfig(issuer, []);
    openssl(this.dir, [
      "ca",
      "-config",
      `${issuer}.ca.cnf`,
      "-gencrl",
      "-crldays",
      "30",
      "-out",
      `${issuer}.crl`,
    ]);
    return pemDecode(readFileSync(join(this.dir, `${issuer}.crl`), "utf8"), "X509 CRL")[0];
  }

  #caConfig(issuer: string, ext: string[]): void {
    const d = `${issuer}.db`;
    try {
      readFileSync(join(this.dir, `${d}.index`));
    } catch {
      writeFileSync(join(this.dir, `${d}.index`), "");
      writeFileSync(join(this.dir, `${d}.serial`), "1000\n");
      writeFileSync(join(this.dir, `${d}.crlnumber`), "01\n");
    }
    writeFileSync(
      join(this.dir, `${issuer}.ca.cnf`),
      [
        "[ca]",
        "default_ca = CA_default",
        "[CA_default]",
        `dir = ${this.dir}`,
        `database = ${this.dir}/${d}.index`,
        `serial = ${this.dir}/${d}.serial`,
        `crlnumber = ${this.dir}/${d}.crlnumber`,
        `new_certs_dir = ${this.dir}`,
        `certificate = ${this.dir}/${issuer}.pem`,
        `private_key = ${this.dir}/${issuer}.key`,
        "default_md = sha256",
        "default_crl_days = 30",
        "policy = policy_any",
        "unique_subject = no",
        "copy_extensions = none",
        "crl_extensions = crl_ext",
        "[policy_any]",
        "commonName = supplied",
        "[req]",
        "distinguished_name = dn",
        "[dn]",
        "[crl_ext]",
        "authorityKeyIdentifier = keyid:always",
        "[ext]",
        ...ext,
        "",
      ].join("\n"),
    );
  }

  /** DER of `<name>.pem`. */
  der(name: string): Bytes {
    return pemDecode(this.pem(name), "CERTIFICATE")[0];
  }

  /** Text of `<name>.pem`. */
  pem(name: string): string {
    return readFileSync(join(this.dir, `${name}.pem`), "utf8");
  }

  /** Path of `<name>.pem`. */
  path(name: string): string {
    return join(this.dir, `${name}.pem`);
  }

  /** Removes the directory. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
