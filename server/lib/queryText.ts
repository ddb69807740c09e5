// Whether a request's query string can be read as text at all, before any handler reads
// it. Node's querystring turns a malformed escape or invalid UTF-8 into U+FFFD without a
// word, and PostgreSQL refuses a NUL in text with an error that would surface as a 500; so
// every parameter a route reads is checked here on its raw bytes, and each protocol
// renders the fault in its own error shape.

export interface QueryFault {
  /** The parameter's name as far as it could be decoded. */
  name: string;
  problem: string;
}

export interface QueryTextRules {
  /** Check only these names (the ones the route reads); every name when absent. */
  only?: ReadonlySet<string>;
  /** Names that may appear more than once (the token endpoint's scope). */
  repeatable?: ReadonlySet<string>;
  /** The most bytes one decoded value may have. */
  maxBytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
// C0 controls and DEL: no name, tag, digest, filter or media type holds one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's purpose
const control = /[\u0000-\u001f\u007f]/;

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Percent-decodes one component ("+" is a space) to text, or says why it cannot. */
function decodeComponent(raw: string): { text: string } | { problem: string } {
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return { problem: 'holds a "%" that is not followed by two hex digits' };
      bytes[n++] = (hi << 4) | lo;
      i += 2;
    } else if (c === 0x2b) {
      bytes[n++] = 0x20;
    } else if (c > 0xff) {
      return { problem: 'is not valid UTF-8' };
    } else {
      // Node hands over a URL's raw bytes as latin1 characters.
      bytes[n++] = c;
    }
  }
  try {
    return { text: utf8.decode(bytes.subarray(0, n)) };
  } catch {
    return { problem: 'is not valid UTF-8' };
  }
}

/** Why a raw (still escaped) URL path cannot be read as text, or undefined when it can. */
export function pathFault(rawPath: string): string | undefined {
  if (!rawPath.includes('%') && !/[^\u0020-\u007e]/.test(rawPath)) return undefined;
  // "+" is literal in a path; escaping it first keeps the component decoder from reading a space.
  const decoded = decodeComponent(rawPath.replace(/\+/g, '%2B'));
  if ('problem' in decoded) return `the path ${decoded.problem}`;
  if (control.test(decoded.text)) return 'the path holds a control character (such as NUL)';
  return undefined;
}

/** The first parameter of `raw` (the query string without "?") that is not sane text. */
export function queryFault(raw: string, rules: QueryTextRules): QueryFault | undefined {
  if (!raw) return undefined;
  const seen = new Set<string>();
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const name = decodeComponent(rawName);
    if ('problem' in name) {
      if (rules.only) continue; // a name no route reads cannot be one it checks
      return { name: rawName.slice(0, 50), problem: `the parameter name ${name.problem}` };
    }
    if (rules.only && !rules.only.has(name.text)) continue;
    const label = name.text.slice(0, 50);
    if (control.test(name.text)) return { name: JSON.stringify(label), problem: 'the parameter name holds a control character' };
    if (seen.has(name.text) && !rules.repeatable?.has(name.text)) return { name: label, problem: 'is given more than once' };
    seen.add(name.text);
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if ('problem' in value) return { name: label, problem: value.problem };
    if (control.test(value.text)) return { name: label, problem: 'holds a control character (such as NUL)' };
    if (Buffer.byteLength(value.text) > rules.maxBytes) return { name: label, problem: `is longer than ${rules.maxBytes} bytes` };
  }
  return undefined;
}
