import type { IdentifierKind } from "../core/identifiers.js";
import type { Otp } from "../engine/types.js";
import type { AuditFilter } from "./audit-log.js";

/**
 * A filter for one person's rows: their identifier, normalised as the engine does (its
 * `defaultCountry` included, so a national-format number finds the rows of its E.164 form) and
 * hashed under every configured key, so rows written before a key rotation are found too.
 */
export function auditFilterForIdentifier(
  otp: Pick<Otp, "keyring" | "normalizeIdentifier">,
  identifier: string,
  filter: AuditFilter = {},
  kind?: IdentifierKind,
): AuditFilter {
  const normalized = otp.normalizeIdentifier(identifier, kind);
  return { ...filter, identifierHash: otp.keyring.identifierHashes(normalized.value) };
}
