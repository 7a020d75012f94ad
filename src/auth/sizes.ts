/** How much of what a client says about itself this server keeps. */
const MAX_CLIENT_NAME = 100;

/** A client's `client_name` as shown on the consent page: trimmed, at most 100 characters; undefined when there is none. */
export function clientName(value: unknown): string | undefined {
  const name = typeof value === 'string' ? value.trim().slice(0, MAX_CLIENT_NAME) : '';
  return name === '' ? undefined : name;
}
