//! A small mutable XML tree, as upstream's XML functions see a document (antchfx/xmlquery):
//! elements with their attributes, text, CDATA, comments, and the declaration and other
//! markup kept verbatim. Parsed with quick-xml; written back as xmlquery's `OutputXML`
//! writes it (every element with an end tag, attributes double-quoted).

use quick_xml::events::Event;
use quick_xml::Reader;

/// Elements nested deeper than this are refused: the tree is walked recursively.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
    CData(String),
    Comment(String),
    /// `<?xml …?>`, processing instructions, `<!DOCTYPE …>`: written back as they were.
    Markup(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    /// The name without its namespace prefix.
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }
}

/// The document node: what `/` selects.
pub type Document = Element;

fn xml_error(e: impl std::fmt::Display) -> String {
    format!("parse xml: {e}")
}

/// `&lt;`, `&#x30;` and the other predefined and character references.
fn resolve_reference(name: &str) -> Result<char, String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => number.parse::<u32>(),
        };
        return code
            .ok()
            .and_then(char::from_u32)
            .filter(|c| *c != '\0')
            .ok_or_else(|| format!("parse xml: invalid character reference &{name};"));
    }
    Ok(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => return Err(format!("parse xml: unknown entity &{name};")),
    })
}

fn push_text(children: &mut Vec<Node>, text: &str) {
    match children.last_mut() {
        Some(Node::Text(last)) => last.push_str(text),
        _ => children.push(Node::Text(text.to_owned())),
    }
}

fn open(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let name = start.name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(xml_error)?;
        let key = attr.key.as_ref().to_owned();
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(xml_error)?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
    })
}

/// Parses a document. The declaration is kept only when the text starts with it, as
/// upstream's `parseNodesXML` does.
pub fn parse(text: &str) -> Result<Document, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(xml_error)?;
        let after = reader.buffer_position() as usize;
        let raw = || text.get(before..after).unwrap_or_default().to_owned();
        let children = &mut stack.last_mut().ok_or_else(|| xml_error("unbalanced tags"))?.children;
        match event {
            Event::Start(start) => {
                if stack.len() > MAX_DEPTH {
                    return Err(format!("parse xml: elements nested deeper than {MAX_DEPTH}"));
                }
                stack.push(open(&start)?);
            }
            Event::Empty(start) => children.push(Node::Element(open(&start)?)),
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| xml_error("unbalanced tags"))?;
                let parent = stack.last_mut().ok_or_else(|| xml_error("unexpected end tag"))?;
                parent.children.push(Node::Element(done));
            }
            Event::Text(t) => push_text(children, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.into_inner().into_owned();
                let mut buf = [0u8; 4];
                push_text(children, resolve_reference(&name)?.encode_utf8(&mut buf));
            }
            Event::CData(c) => children.push(Node::CData(c.xml10_content().into_owned())),
            Event::Comment(c) => children.push(Node::Comment(c.xml10_content().into_owned())),
            Event::Decl(_) => {
                if before == 0 {
                    children.push(Node::Markup(raw()));
                }
            }
            Event::PI(_) | Event::DocType(_) => children.push(Node::Markup(raw())),
            Event::Eof => break,
        }
    }
    match stack.pop() {
        Some(document) if stack.is_empty() => Ok(document),
        _ => Err(xml_error("unexpected EOF: an element is not closed")),
    }
}

pub fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

pub fn write_node(node: &Node, out: &mut String) {
    match node {
        Node::Element(e) => write_element(e, out),
        Node::Text(t) => escape_text(t, out),
        Node::CData(c) => {
            out.push_str("<![CDATA[");
            out.push_str(c);
            out.push_str("]]>");
        }
        Node::Comment(c) => {
            out.push_str("<!--");
            out.push_str(c);
            out.push_str("-->");
        }
        Node::Markup(m) => out.push_str(m),
    }
}

pub fn write_element(element: &Element, out: &mut String) {
    out.push('<');
    out.push_str(&element.name);
    for (key, value) in &element.attributes {
        out.push(' ');
        out.push_str(key);
        out.push_str("=\"");
        escape_attribute(value, out);
        out.push('"');
    }
    out.push('>');
    write_children(element, out);
    out.push_str("</");
    out.push_str(&element.name);
    out.push('>');
}

pub fn write_children(element: &Element, out: &mut String) {
    for child in &element.children {
        write_node(child, out);
    }
}

/// The document as text.
pub fn write(document: &Document) -> String {
    let mut out = String::new();
    write_children(document, &mut out);
    out
}

/// A node's text, as xmlquery's `InnerText`: every text and CDATA under it, in order.
pub fn inner_text(node: &Node, out: &mut String) {
    match node {
        Node::Element(e) => e.children.iter().for_each(|c| inner_text(c, out)),
        Node::Text(t) | Node::CData(t) => out.push_str(t),
        Node::Comment(_) | Node::Markup(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_read_back_as_xmlquery_writes_them() {
        let cases = [
            ("<a><b/>foo</a>", "<a><b></b>foo</a>"),
            (
                r#"<Log id="1"><Message>x &amp; y &#x41;</Message></Log>"#,
                r#"<Log id="1"><Message>x &amp; y A</Message></Log>"#,
            ),
            ("<?xml version=\"1.0\"?><a/>", "<?xml version=\"1.0\"?><a></a>"),
            (
                "<a><![CDATA[<raw>]]><!-- c --></a>",
                "<a><![CDATA[<raw>]]><!-- c --></a>",
            ),
            (
                r#"<ns:a xmlns:ns="u" k="&quot;q&quot;">t</ns:a>"#,
                r#"<ns:a xmlns:ns="u" k="&quot;q&quot;">t</ns:a>"#,
            ),
        ];
        for (input, output) in cases {
            assert_eq!(write(&parse(input).unwrap()), output, "{input}");
        }
        for bad in ["<a>", "<a></b>", "<a>&nope;</a>", "<a x=1/>"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 2);
        assert!(parse(&deep).is_err());
    }
}
