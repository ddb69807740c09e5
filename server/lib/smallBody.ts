// Reading a whole small body (a manifest, a token form) into memory, refusing one past a
// limit before reading it all: a declared Content-Length over the limit is refused unread,
// and an undeclared (chunked) body is cut off as soon as it passes the limit.
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body exceeds the ${limit}-byte limit`);
  }
}

/** `contentLength` is the request's Content-Length header as sent (empty or absent when chunked). */
export async function readSmallBody(source: AsyncIterable<Buffer>, contentLength: string | undefined, limit: number): Promise<Buffer> {
  if (Number(contentLength || 'NaN') > limit) throw new BodyTooLargeError(limit);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limit) throw new BodyTooLargeError(limit);
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}
