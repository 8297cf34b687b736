/**
 * A schema registry's URL: checked when given, and shown without its password. Confluent's
 * clients take credentials in it (`http://user:password@host`, basic.auth.credentials.source=URL).
 */
import { usageError } from '../pubsub/errors.js';

/** `text` with the password of each URL's user part as `****`: what messages and `zps context show` print. */
export function shownUrl(text: string): string {
  // a user part ends at the last '@' before the path, as URL parsers read it
  return text.replace(/([a-z][a-z\d+.-]*:\/\/[^/:@\s]*:)[^/\s]*@/gi, '$1****@');
}

export function holdsPassword(url: string): boolean {
  return shownUrl(url) !== url;
}

/** The registry URL given in `from`, an http or https URL; else exit 2 naming `from`. */
export function checkedRegistryUrl(url: string, from: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // not a URL: said below
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw usageError(`invalid schema registry URL '${shownUrl(url)}' in ${from}: use an http:// or https:// URL, as http://localhost:8081`);
  }
  return url;
}
