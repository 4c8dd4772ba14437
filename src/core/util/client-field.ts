/**
 * `{ client }` when there is one, else nothing: spread into an object so that a request or an
 * event without a client has no `client` key at all (not one set to undefined).
 */
export function clientField<T>(client: T | undefined): { client?: T } {
  return client === undefined ? {} : { client };
}
