import LinkifyIt from "linkify-it";
import { safeUrl } from "./_message";

/** linkify-it finds the links (with or without a scheme); only http(s) ones become anchors. */
const linkify = new LinkifyIt();

/**
 * Message text with its web links clickable: every piece is escaped, a link opens in a new tab with
 * rel=noopener, and anything that is not http(s) (mailto, script or ftp URLs) stays plain text.
 */
export function LinkedText({ text }: { text: string }) {
  const matches = text ? linkify.match(text) : null;
  if (!matches) return <span safe>{text}</span>;
  const parts: JSX.Element[] = [];
  let at = 0;
  for (const m of matches) {
    const href = safeUrl(m.url);
    const shown = text.slice(m.index, m.lastIndex);
    parts.push(<span safe>{text.slice(at, m.index)}</span>);
    parts.push(
      href ? (
        <a href={href} target="_blank" rel="noopener noreferrer nofollow" safe>
          {shown}
        </a>
      ) : (
        <span safe>{shown}</span>
      ),
    );
    at = m.lastIndex;
  }
  parts.push(<span safe>{text.slice(at)}</span>);
  return <>{parts}</>;
}
