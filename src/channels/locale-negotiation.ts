const MAX_INPUT_CHARS = 256;
const MAX_RANGES = 16;
const TAG = /^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$/;

/**
 * Picks the best available locale for a requested one: `fr-CA` → `fr-CA` if available, else
 * `fr`, else the fallback. Accepts an Accept-Language value too (`"fr-CA,fr;q=0.9,en;q=0.5"`),
 * tried in order of quality. Matching ignores case and treats `_` as `-`; the result is spelled
 * as in `available`. Anything unparsable gives the fallback, never an error.
 */
export function negotiateLocale(requested: unknown, available: readonly string[], fallback: string): string {
  if (typeof requested !== "string" || requested.length === 0 || requested.length > MAX_INPUT_CHARS) return fallback;
  const byLowerTag = new Map(available.map((tag) => [tag.toLowerCase(), tag]));
  for (const range of parseRanges(requested)) {
    const subtags = range.toLowerCase().replace(/_/g, "-").split("-");
    // Drop subtags from the end until something matches (RFC 4647 lookup).
    for (let length = subtags.length; length > 0; length--) {
      const found = byLowerTag.get(subtags.slice(0, length).join("-"));
      if (found !== undefined) return found;
    }
  }
  return fallback;
}

/** Language ranges by descending quality; ties keep their order. `*` and q=0 are dropped. */
function parseRanges(value: string): string[] {
  const ranges: { tag: string; quality: number; order: number }[] = [];
  for (const [order, part] of value.split(",").slice(0, MAX_RANGES).entries()) {
    const [tagPart, ...params] = part.split(";");
    const tag = tagPart!.trim();
    if (!TAG.test(tag)) continue;
    let quality = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(param);
      if (match) quality = Number(match[1]);
    }
    if (quality > 0) ranges.push({ tag, quality, order });
  }
  return ranges.sort((a, b) => b.quality - a.quality || a.order - b.order).map((range) => range.tag);
}
