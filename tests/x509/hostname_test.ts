// RFC 6125 host name matching, IP address parsing (RFC 4291) and formatting (RFC 5952).
import { test } from "node:test";
import assert from "node:assert/strict";
import { isPublicSuffix } from "../../src/x509/_public_suffix.ts";
import { Certificate } from "../../src/x509/certificate.ts";
import {
  certificateMatchesHostname,
  certificateMatchesIp,
  formatIp,
  isDnsName,
  matchesDnsPattern,
  normalizeHostname,
  parseIp,
} from "../../src/x509/hostname.ts";
import { Pki, serverExt } from "./_pki.ts";

test("IPv4 text: dotted decimal only", () => {
  assert.deepEqual(parseIp("192.0.2.1"), new Uint8Array([192, 0, 2, 1]));
  assert.deepEqual(parseIp("0.0.0.0"), new Uint8Array(4));
  for (
    const bad of [
      "192.0.2",
      "192.0.2.256",
      "192.168.001.001",
      "0xC0A80101",
      "1.2.3.4.5",
      "",
      "a.b.c.d",
    ]
  ) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test("IPv6 text: every RFC 4291 §2.2 form", () => {
  const one = new Uint8Array(16);
  one[15] = 1;
  for (const t of ["::1", "0:0:0:0:0:0:0:1", "0000:0000:0000:0000:0000:0000:0000:0001", "0::0:1"]) {
    assert.deepEqual(parseIp(t), one, t);
  }
  assert.deepEqual(parseIp("::"), new Uint8Array(16));
  assert.deepEqual(
    parseIp("::ffff:192.0.2.1"),
    new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]),
  );
  assert.deepEqual(parseIp("2001:DB8::8A2E:370:7334"), parseIp("2001:db8:0:0:0:8a2e:370:7334"));
  for (
    const bad of [
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      "g::1",
      "::1%eth0",
      ":1::",
    ]
  ) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test("IPv6 output follows RFC 5952 §4", () => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"], // §4.1 leading zeros, §4.2.1
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"], // §4.2.1 maximum compression
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // §4.2.2 not for one group
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // §4.2.3 the longest run
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // §4.2.3 the first of equal runs
    ["2001:DB8::ABCD", "2001:db8::abcd"], // §4.3 lower case
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
  ];
  for (const [input, want] of cases) assert.equal(formatIp(parseIp(input)!), want, input);
  assert.equal(formatIp(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
});

test("DNS name syntax (RFC 1034 §3.5, RFC 1123 §2.1)", () => {
  for (const ok of ["example.com", "a", "xn--bcher-kva.example", "1.example", "a-b.c"]) {
    assert.ok(isDnsName(ok), ok);
  }
  for (
    const bad of [
      "",
      ".example.com",
      "example..com",
      "-a.com",
      "a-.com",
      "a_b.com",
      "*.a.com",
      `${"a".repeat(64)}.com`,
    ]
  ) {
    assert.ok(!isDnsName(bad), bad);
  }
  assert.ok(isDnsName("*.example.com", { wildcard: true }));
  assert.ok(isDnsName("a_b.com", { underscore: true }));
});

test("reference names: case, trailing dot, IDNA A-labels", () => {
  assert.equal(normalizeHostname("WWW.Example.COM."), "www.example.com");
  assert.equal(normalizeHostname("bücher.example"), "xn--bcher-kva.example");
  assert.equal(normalizeHostname("exa mple.com"), undefined);
  assert.equal(normalizeHostname("bü\ncher.example"), undefined);
  assert.equal(normalizeHostname("bücher.example/x@evil.com"), undefined);
  assert.equal(normalizeHostname(".."), undefined);
});

test("RFC 6125 §6.4.3: one whole left-most wildcard label", () => {
  assert.ok(matchesDnsPattern("*.example.com", "foo.example.com"));
  assert.ok(matchesDnsPattern("*.Example.COM", "foo.example.com"));
  assert.ok(matchesDnsPattern("*.example.com.", "foo.example.com"));
  assert.ok(matchesDnsPattern("*.example.com", "xn--bcher-kva.example.com"));
  assert.ok(!matchesDnsPattern("*.example.com", "example.com"));
  assert.ok(!matchesDnsPattern("*.example.com", "a.b.example.com"));
  assert.ok(!matchesDnsPattern("f*.example.com", "foo.example.com"));
  assert.ok(!matchesDnsPattern("*oo.example.com", "foo.example.com"));
  assert.ok(!matchesDnsPattern("foo.*.example.com", "foo.bar.example.com"));
  assert.ok(!matchesDnsPattern("xn--*-1b3c148a.example.com", "xn--bliss-1b3c148a.example.com"));
  assert.ok(!matchesDnsPattern("*", "com"));
  assert.ok(!matchesDnsPattern("*.*.example.com", "a.b.example.com"));
  assert.ok(matchesDnsPattern("Example.com", "example.com"));
});

test("no wildcard over a public suffix (CABF BR §3.2.2.6)", () => {
  assert.ok(!matchesDnsPattern("*.com", "example.com"));
  assert.ok(!matchesDnsPattern("*.co.uk", "example.co.uk"));
  assert.ok(!matchesDnsPattern("*.s3.amazonaws.com", "bucket.s3.amazonaws.com"));
  assert.ok(matchesDnsPattern("*.example.co.uk", "www.example.co.uk"));
  assert.ok(isPublicSuffix("com") && isPublicSuffix("co.uk") && isPublicSuffix("anything.ck"));
  assert.ok(!isPublicSuffix("www.ck")); // an exception rule (!www.ck)
  assert.ok(!isPublicSuffix("example.com"));
});

test("certificates: SAN first, CN only as a fallback, IPs only against iPAddress", () => {
  const pki = new Pki();
  try {
    pki.make({ name: "ca", ext: ["basicConstraints = critical, CA:TRUE"] });
    const san = Certificate.fromDer(pki.make({
      name: "san",
      subject: "/CN=cn.example",
      issuer: "ca",
      ext: serverExt("DNS:a.example", "IP:10.1.2.3", "IP:2001:db8::1", "DNS:10.9.9.9"),
    }));
    assert.ok(certificateMatchesHostname(san, "a.example"));
    assert.ok(!certificateMatchesHostname(san, "cn.example", { commonNameFallback: true }));
    assert.ok(certificateMatchesIp(san, parseIp("10.1.2.3")!));
    assert.ok(certificateMatchesIp(san, parseIp("2001:DB8:0::1")!));
    assert.ok(!certificateMatchesIp(san, parseIp("10.9.9.9")!));
    assert.ok(!certificateMatchesIp(san, parseIp("::ffff:10.1.2.3")!));
    const cn = Certificate.fromDer(
      pki.make({ name: "cn", subject: "/CN=*.cn.example", issuer: "ca" }),
    );
    assert.ok(!certificateMatchesHostname(cn, "www.cn.example"));
    assert.ok(certificateMatchesHostname(cn, "www.cn.example", { commonNameFallback: true }));
    const under = Certificate.fromDer(pki.make({
      name: "under",
      issuer: "ca",
      ext: serverExt("DNS:foo_bar.example"),
    }));
    assert.ok(certificateMatchesHostname(under, "foo_bar.example"));
    assert.ok(!certificateMatchesHostname(under, "foo_bar.example", { strict: true }));
  } finally {
    pki.dispose();
  }
});
