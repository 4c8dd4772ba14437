import { de } from "./de.js";
import { en } from "./en.js";
import { es } from "./es.js";
import { fr } from "./fr.js";
import { pt } from "./pt.js";
import type { LocaleStrings } from "./types.js";

export type { KindStrings, LocaleStrings, LockoutStrings, PurposeKind, TransactionStrings } from "./types.js";
export { PURPOSE_KINDS } from "./types.js";

/** The languages shipped with the library, by primary language subtag. */
export const BUILT_IN_LOCALES: Readonly<Record<string, LocaleStrings>> = Object.freeze({ en, fr, es, de, pt });
