/** Telegram's `parse_mode: HTML` rules, as the Bot API double checks a message's text. */

const TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "code",
  "pre",
  "blockquote",
  "tg-emoji",
]);

/**
 * Parses text the way Telegram's `parse_mode: HTML` does: the supported tags, the four
 * named entities and numeric ones. Returns the visible text, or Telegram's error.
 */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = "";
  let i = 0;
  const offset = (at: number) => Buffer.byteLength(html.slice(0, at), "utf8");
  while (i < html.length) {
    const c = html[i];
    if (c === "<") {
      const close = html.indexOf(">", i);
      const inner = close === -1 ? "" : html.slice(i + 1, close);
      const end = /^\/\s*([a-zA-Z-]*)\s*$/.exec(inner);
      if (end) {
        const name = (end[1] ?? "").toLowerCase();
        const open = stack.pop();
        if (open === undefined || (name !== "" && name !== open)) {
          return { error: `Unexpected end tag at byte offset ${offset(i)}` };
        }
        i = close + 1;
        continue;
      }
      const start =
        /^([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*$/.exec(
          inner,
        );
      if (close === -1 || !start) {
        return {
          error: `Unsupported start tag "${(/^[^\s>]*/.exec(html.slice(i + 1))?.[0] ?? "").slice(0, 20)}" at byte offset ${offset(i)}`,
        };
      }
      const name = (start[1] ?? "").toLowerCase();
      if (!TAGS.has(name))
        return { error: `Unsupported start tag "${name}" at byte offset ${offset(i)}` };
      if (name === "span" && !/class\s*=\s*["']?tg-spoiler/.test(start[2] ?? "")) {
        return { error: `Tag "span" must have class "tg-spoiler" at byte offset ${offset(i)}` };
      }
      stack.push(name);
      i = close + 1;
      continue;
    }
    if (c === "&") {
      const entity = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/.exec(html.slice(i, i + 12));
      if (!entity) return { error: `Character entity expected at byte offset ${offset(i)}` };
      const name = entity[1] ?? "";
      text +=
        name === "lt"
          ? "<"
          : name === "gt"
            ? ">"
            : name === "amp"
              ? "&"
              : name === "quot"
                ? '"'
                : String.fromCodePoint(
                    name.startsWith("#x")
                      ? Number.parseInt(name.slice(2), 16)
                      : Number(name.slice(1)),
                  );
      i += entity[0].length;
      continue;
    }
    if (c === ">") return { error: `Unexpected end of name token at byte offset ${offset(i)}` };
    text += c;
    i++;
  }
  if (stack.length > 0)
    return { error: `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  return { text };
}
