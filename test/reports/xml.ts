// A strict reader for the XML cfmesh writes (JUnit reports): an optional XML declaration, one root
// element, elements, attributes in double or single quotes, text, and the predefined and numeric
// character references. Anything else (a DTD, a comment, CDATA, an unescaped < or &, a character XML
// 1.0 cannot carry, a mismatched tag, a repeated attribute) throws, so a report that any XML parser
// could refuse fails the tests.

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly (XmlElement | string)[];
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
// XML 1.0 §2.2 Char
const BAD_CHAR = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

export function parseXml(text: string): XmlElement {
  const bad = BAD_CHAR.exec(text);
  if (bad) throw new Error(`character U+${(bad[0].codePointAt(0) ?? 0).toString(16)} is not allowed in XML at ${bad.index}`);
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${at}: ${JSON.stringify(text.slice(at, at + 40))}`);
  };
  const space = () => {
    while (at < text.length && ' \t\r\n'.includes(text[at] as string)) at++;
  };
  const name = (): string => {
    NAME.lastIndex = at;
    const m = NAME.exec(text);
    if (!m) return fail('a name expected');
    at += m[0].length;
    return m[0];
  };
  const decode = (raw: string): string => {
    if (/<|&(?!(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) fail(`an unescaped < or & in ${JSON.stringify(raw.slice(0, 40))}`);
    return raw.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, ref: string) => {
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
      if (named[ref]) return named[ref];
      const code = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      const ch = String.fromCodePoint(code);
      if (BAD_CHAR.test(ch)) fail(`a reference to U+${code.toString(16)}, not allowed in XML`);
      return ch;
    });
  };
  const element = (): XmlElement => {
    if (text[at] !== '<') fail('< expected');
    at++;
    const tag = name();
    const attrs: Record<string, string> = {};
    for (;;) {
      const before = at;
      space();
      if (text.startsWith('/>', at)) {
        at += 2;
        return { name: tag, attrs, children: [] };
      }
      if (text[at] === '>') {
        at++;
        break;
      }
      if (at === before) fail('a space before an attribute expected');
      const key = name();
      space();
      if (text[at] !== '=') fail('= expected');
      at++;
      space();
      const quote = text[at];
      if (quote !== '"' && quote !== "'") fail('a quoted value expected');
      const end = text.indexOf(quote as string, at + 1);
      if (end < 0) fail('an unterminated attribute');
      if (key in attrs) fail(`attribute ${key} twice`);
      // attribute values are normalised (§3.3.3): a literal newline or tab becomes a space
      attrs[key] = decode(text.slice(at + 1, end).replace(/[\t\n\r]/g, ' '));
      at = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      const lt = text.indexOf('<', at);
      if (lt < 0) fail(`</${tag}> expected`);
      if (lt > at) children.push(decode(text.slice(at, lt)));
      at = lt;
      if (text.startsWith('</', at)) {
        at += 2;
        const closing = name();
        if (closing !== tag) fail(`</${tag}> expected, got </${closing}>`);
        space();
        if (text[at] !== '>') fail('> expected');
        at++;
        return { name: tag, attrs, children };
      }
      if (text.startsWith('<!', at) || text.startsWith('<?', at)) fail('no comments, CDATA, DTDs or processing instructions here');
      children.push(element());
    }
  };
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(text);
  if (decl) at = decl[0].length;
  space();
  const root = element();
  space();
  if (at !== text.length) fail('text after the root element');
  return root;
}

export function childElements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string' && (name === undefined || c.name === name));
}

export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
