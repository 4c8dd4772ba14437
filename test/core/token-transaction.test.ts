import { describe, expect, it } from "vitest";
import { generateKey, parseKeys } from "../../src/core/keyring.js";
import { newVerificationId, openToken, sealToken, type ClaimsToSeal } from "../../src/core/token.js";

// Sealed by the token code as it was before transactions (same version 2): a session open across
// the deploy must keep working, with no transaction bound.
const OLD_KEY = "old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const OLD_TOKEN =
  "AgNvbGTUBdj53VuzosTrbOFo--aeiDiRSKUquZwRd6YDFG7PO3awAniTJ7FhrHr4C6PdBJWBUpK8_ZKky8APgLHrDtI7swK72T1CHAGHnNjoaBzVXDNYnPj7bsmqDDJUGUILNwlE4bskiWVX3L0tIWCqKYpeYquu2WxheetqFGJc2h2mFg";

function claims(transactionDigest: string | null): ClaimsToSeal {
  return {
    id: newVerificationId(),
    codeMac: Buffer.alloc(16, 1),
    identifierHash: null,
    transactionDigest,
    codeExpiresAtMs: 1_900_000_000_000,
    sessionExpiresAtMs: 1_900_000_600_000,
    codeTtlSeconds: 300,
    maxAttempts: 3,
    codeLength: 6,
    sends: 1,
    decoy: false,
    identifier: "user@example.com",
    purpose: "payment",
    channel: "email",
    metadata: null,
  };
}

describe("the token's transaction digest", () => {
  it("opens a token sealed before transactions existed, as bound to none", () => {
    const { claims: opened } = openToken(parseKeys(OLD_KEY), OLD_TOKEN);
    expect(opened).toMatchObject({ transactionDigest: null, identifier: "user@example.com", purpose: "payment", maxAttempts: 3 });
  });

  it("round-trips a digest, and none", () => {
    const keyring = parseKeys(generateKey("k"));
    const digest = "q3Xw8mJfT0aYc1NnE5rB2g";
    expect(openToken(keyring, sealToken(keyring.sealing, claims(digest))).claims.transactionDigest).toBe(digest);
    expect(openToken(keyring, sealToken(keyring.sealing, claims(null))).claims.transactionDigest).toBeNull();
  });
});
