/** The search form's fields as an audit filter (AuditQuery / AuditExport): empty fields left out. */

export interface SearchFields {
  identifier: string;
  identifierHash: string;
  verificationId: string;
  clientIp: string;
  purpose: string;
  action: string;
  from: string;
  to: string;
}

export const EMPTY_FIELDS: SearchFields = {
  identifier: "",
  identifierHash: "",
  verificationId: "",
  clientIp: "",
  purpose: "",
  action: "",
  from: "",
  to: "",
};

/** `datetime-local` gives local time without a zone; the API takes an instant. */
function instant(local: string): string {
  return new Date(local).toISOString();
}

export function filterOf(fields: SearchFields): Record<string, string> {
  const filter: Record<string, string> = {};
  for (const name of ["identifier", "verificationId", "clientIp", "purpose", "action"] as const) {
    const value = fields[name].trim();
    if (value !== "") filter[name] = value;
  }
  // An export prefixes a value a spreadsheet would read as a formula with "'"; a hash never starts with one.
  const hash = fields.identifierHash.trim().replace(/^'/, "");
  if (hash !== "") filter.identifierHash = hash;
  if (fields.from !== "") filter.from = instant(fields.from);
  if (fields.to !== "") filter.to = instant(fields.to);
  return filter;
}
