/**
 * Query parameters that authorize a request by themselves: a WebSocket's bearer token (`token`; `access_token` is
 * what OAuth clients send, refused but still secret) and the signature of the hub's presigned chunk URLs. Whoever
 * reads them in a log could replay them.
 */
const SECRET_PARAMETERS = new Set(['token', 'access_token', 'signature']);

const REDACTED = '[REDACTED]';

/**
 * The URL as logs may show it: secret parameter values replaced, everything else as the client sent it. Names are
 * compared decoded, as the query parser reads them, so `%74oken=` is caught too.
 */
export function loggableUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const pairs = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0]!;
      return SECRET_PARAMETERS.has(decodedName(name)) ? `${name}=${REDACTED}` : pair;
    });
  return `${url.slice(0, at)}?${pairs.join('&')}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}
