import { PURPOSE_KINDS, type PurposeKind } from "../locales/index.js";

// The names applications commonly give the built-in kinds.
const KIND_ALIASES: Readonly<Record<string, PurposeKind>> = {
  signin: "login",
  sign_in: "login",
  log_in: "login",
  sign_up: "signup",
  register: "signup",
  registration: "signup",
  reset_password: "password_reset",
  password: "password_reset",
  email_change: "change_email",
  phone_change: "change_phone",
  checkout: "payment",
  transaction: "payment",
  "2fa": "two_factor",
  mfa: "two_factor",
};

/** The built-in kind a purpose uses when `purposeKinds` names none: its own name, an alias of one, or "generic". */
export function kindOf(purpose: string): PurposeKind {
  const normalized = purpose.toLowerCase().replace(/[-.:\s]/g, "_");
  if ((PURPOSE_KINDS as readonly string[]).includes(normalized)) return normalized as PurposeKind;
  return own(KIND_ALIASES, normalized) ?? "generic";
}

/** Own properties only: a purpose named "constructor" must not find Object.prototype's. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
