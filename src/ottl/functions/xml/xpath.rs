//! The XPath 1.0 location paths upstream's XML functions are used with, compiled once when
//! the template loads: absolute and relative paths, `/` and `//`, `.` and `..`, name tests
//! (`Log`, `ns:Log`, `*`), `@name`, `@*`, `text()`, `comment()`, `node()`, and predicates
//! `[n]`, `[last()]`, `[position()=n]`, `[@a]`, `[@a='v']`, `[@a!='v']`, `[child]`,
//! `[child='v']`, `[text()='v']`. Anything else is refused when the template compiles.

use super::tree::{inner_text, Element, Node};

#[derive(Debug, Clone, PartialEq)]
enum Axis {
    Child,
    DescendantOrSelf,
    Attribute,
    SelfNode,
    Parent,
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Name(String),
    AnyElement,
    Text,
    Comment,
    Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Predicate {
    Position(usize),
    Last,
    HasAttribute(String),
    Attribute { name: String, value: String, equal: bool },
    HasChild(String),
    ChildText { name: String, value: String },
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Step {
    axis: Axis,
    test: Test,
    predicates: Vec<Predicate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct XPath {
    absolute: bool,
    steps: Vec<Step>,
}

/// A node a path selected: a child position from the document down, and for an attribute
/// its index on that element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeRef {
    Node(Vec<usize>),
    Attribute(Vec<usize>, usize),
}

impl NodeRef {
    /// Document order: an element, its attributes, then its children.
    fn order_key(&self) -> Vec<i64> {
        match self {
            NodeRef::Node(path) => path.iter().map(|i| *i as i64).collect(),
            NodeRef::Attribute(path, a) => path
                .iter()
                .map(|i| *i as i64)
                .chain(std::iter::once(*a as i64 - (1 << 40)))
                .collect(),
        }
    }
}

// ---------------------------------------------------------------- parsing

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        while self.rest().starts_with(char::is_whitespace) {
            self.at += self.rest().chars().next().map_or(1, char::len_utf8);
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Option<String> {
        self.skip_space();
        let rest = self.rest();
        let first = rest.chars().next()?;
        if !(first.is_alphabetic() || first == '_') {
            return None;
        }
        let len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
            .map_or(rest.len(), |(i, _)| i);
        let name = rest[..len].to_owned();
        self.at += len;
        Some(name)
    }

    fn literal(&mut self) -> Option<String> {
        self.skip_space();
        let quote = self.rest().chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let body = &self.rest()[1..];
        let end = body.find(quote)?;
        let value = body[..end].to_owned();
        self.at += end + 2;
        Some(value)
    }

    fn number(&mut self) -> Option<usize> {
        self.skip_space();
        let len = self.rest().chars().take_while(char::is_ascii_digit).count();
        let n = self.rest()[..len].parse().ok()?;
        self.at += len;
        Some(n)
    }
}

fn unsupported(text: &str, at: usize) -> String {
    format!("invalid xpath `{text}`: unsupported or malformed at byte {at}")
}

impl XPath {
    pub fn parse(text: &str) -> Result<XPath, String> {
        let mut c = Cursor { text, at: 0 };
        let mut steps = Vec::new();
        c.skip_space();
        let absolute = c.rest().starts_with('/');
        if c.rest().trim() == "/" {
            return Ok(XPath { absolute, steps });
        }
        let mut first = true;
        loop {
            c.skip_space();
            if c.eat("//") {
                steps.push(Step {
                    axis: Axis::DescendantOrSelf,
                    test: Test::Node,
                    predicates: Vec::new(),
                });
            } else if !c.eat("/") && !first {
                break;
            }
            first = false;
            steps.push(parse_step(&mut c).ok_or_else(|| unsupported(text, c.at))?);
            c.skip_space();
            if c.rest().is_empty() {
                return Ok(XPath { absolute, steps });
            }
        }
        Err(unsupported(text, c.at))
    }
}

fn parse_step(c: &mut Cursor<'_>) -> Option<Step> {
    let step = |axis, test| Step {
        axis,
        test,
        predicates: Vec::new(),
    };
    if c.eat("..") {
        return Some(step(Axis::Parent, Test::Node));
    }
    if c.eat(".") {
        return Some(step(Axis::SelfNode, Test::Node));
    }
    let mut step = if c.eat("@") {
        if c.eat("*") {
            step(Axis::Attribute, Test::AnyElement)
        } else {
            step(Axis::Attribute, Test::Name(c.name()?))
        }
    } else if c.eat("*") {
        step(Axis::Child, Test::AnyElement)
    } else {
        let name = c.name()?;
        if c.eat("(") {
            if !c.eat(")") {
                return None;
            }
            let test = match name.as_str() {
                "text" => Test::Text,
                "comment" => Test::Comment,
                "node" => Test::Node,
                _ => return None,
            };
            step(Axis::Child, test)
        } else {
            step(Axis::Child, Test::Name(name))
        }
    };
    while c.eat("[") {
        step.predicates.push(parse_predicate(c)?);
        if !c.eat("]") {
            return None;
        }
    }
    Some(step)
}

fn parse_predicate(c: &mut Cursor<'_>) -> Option<Predicate> {
    if let Some(n) = c.number() {
        return (n > 0).then_some(Predicate::Position(n));
    }
    if c.eat("last()") {
        return Some(Predicate::Last);
    }
    if c.eat("position()") {
        return if c.eat("=") {
            c.number().map(Predicate::Position)
        } else {
            None
        };
    }
    if c.eat("text()") {
        return if c.eat("=") {
            c.literal().map(Predicate::Text)
        } else {
            None
        };
    }
    if c.eat("@") {
        let name = c.name()?;
        let equal = if c.eat("!=") {
            false
        } else if c.eat("=") {
            true
        } else {
            return Some(Predicate::HasAttribute(name));
        };
        return Some(Predicate::Attribute {
            name,
            value: c.literal()?,
            equal,
        });
    }
    let name = c.name()?;
    if c.eat("=") {
        return Some(Predicate::ChildText {
            name,
            value: c.literal()?,
        });
    }
    Some(Predicate::HasChild(name))
}

// ---------------------------------------------------------------- evaluation

/// The node at `path` (the document for an empty path).
pub fn node_at<'d>(document: &'d Element, path: &[usize]) -> Option<NodeView<'d>> {
    let mut current = NodeView::Element(document);
    for &i in path {
        let NodeView::Element(e) = current else { return None };
        current = match e.children.get(i)? {
            Node::Element(child) => NodeView::Element(child),
            other => NodeView::Other(other),
        };
    }
    Some(current)
}

#[derive(Clone, Copy)]
pub enum NodeView<'d> {
    Element(&'d Element),
    Other(&'d Node),
}

fn name_matches(test: &str, name: &str) -> bool {
    test == name || (!test.contains(':') && name.rsplit(':').next() == Some(test))
}

fn child_text(element: &Element) -> String {
    let mut out = String::new();
    element.children.iter().for_each(|c| inner_text(c, &mut out));
    out
}

fn passes(document: &Element, candidate: &NodeRef, predicate: &Predicate, position: usize, size: usize) -> bool {
    let element = match candidate {
        NodeRef::Node(path) => match node_at(document, path) {
            Some(NodeView::Element(e)) => Some(e),
            _ => None,
        },
        NodeRef::Attribute(..) => None,
    };
    match predicate {
        Predicate::Position(n) => position == *n,
        Predicate::Last => position == size,
        Predicate::HasAttribute(name) => {
            element.is_some_and(|e| e.attributes.iter().any(|(k, _)| name_matches(name, k)))
        }
        Predicate::Attribute { name, value, equal } => element.is_some_and(|e| {
            let found = e.attributes.iter().find(|(k, _)| name_matches(name, k));
            match (found, equal) {
                (Some((_, v)), true) => v == value,
                (Some((_, v)), false) => v != value,
                (None, _) => false,
            }
        }),
        Predicate::HasChild(name) => element.is_some_and(|e| {
            e.children
                .iter()
                .any(|c| matches!(c, Node::Element(child) if name_matches(name, &child.name)))
        }),
        Predicate::ChildText { name, value } => element.is_some_and(|e| {
            e.children.iter().any(|c| match c {
                Node::Element(child) => name_matches(name, &child.name) && child_text(child) == *value,
                _ => false,
            })
        }),
        Predicate::Text(value) => element.is_some_and(|e| {
            e.children
                .iter()
                .any(|c| matches!(c, Node::Text(t) | Node::CData(t) if t == value))
        }),
    }
}

fn candidates(document: &Element, context: &NodeRef, step: &Step) -> Vec<NodeRef> {
    let NodeRef::Node(path) = context else {
        return match step.axis {
            Axis::SelfNode if step.test == Test::Node => vec![context.clone()],
            Axis::Parent => match context {
                NodeRef::Attribute(p, _) => vec![NodeRef::Node(p.clone())],
                NodeRef::Node(_) => Vec::new(),
            },
            _ => Vec::new(),
        };
    };
    let Some(view) = node_at(document, path) else {
        return Vec::new();
    };
    let child_matches = |node: &Node| match (&step.test, node) {
        (Test::Node, _) => true,
        (Test::AnyElement, Node::Element(_)) => true,
        (Test::Name(name), Node::Element(e)) => name_matches(name, &e.name),
        (Test::Text, Node::Text(_) | Node::CData(_)) => true,
        (Test::Comment, Node::Comment(_)) => true,
        _ => false,
    };
    match (&step.axis, view) {
        (Axis::Child, NodeView::Element(e)) => e
            .children
            .iter()
            .enumerate()
            .filter(|(_, c)| child_matches(c))
            .map(|(i, _)| NodeRef::Node([path.as_slice(), &[i]].concat()))
            .collect(),
        (Axis::Attribute, NodeView::Element(e)) => e
            .attributes
            .iter()
            .enumerate()
            .filter(|(_, (k, _))| match &step.test {
                Test::Name(name) => name_matches(name, k),
                _ => true,
            })
            .map(|(i, _)| NodeRef::Attribute(path.clone(), i))
            .collect(),
        (Axis::DescendantOrSelf, _) => {
            let mut out = vec![context.clone()];
            descendants(document, path, &mut out);
            out
        }
        (Axis::SelfNode, _) => vec![context.clone()],
        (Axis::Parent, _) => match path.split_last() {
            Some((_, parent)) => vec![NodeRef::Node(parent.to_vec())],
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn descendants(document: &Element, path: &[usize], out: &mut Vec<NodeRef>) {
    if let Some(NodeView::Element(e)) = node_at(document, path) {
        for i in 0..e.children.len() {
            let child = [path, &[i]].concat();
            out.push(NodeRef::Node(child.clone()));
            descendants(document, &child, out);
        }
    }
}

impl XPath {
    /// The nodes the path selects, in document order.
    pub fn select(&self, document: &Element) -> Vec<NodeRef> {
        let mut current = vec![NodeRef::Node(Vec::new())];
        for step in &self.steps {
            let mut next: Vec<NodeRef> = Vec::new();
            for context in &current {
                let mut found = candidates(document, context, step);
                for predicate in &step.predicates {
                    let size = found.len();
                    found = found
                        .into_iter()
                        .enumerate()
                        .filter(|(i, c)| passes(document, c, predicate, i + 1, size))
                        .map(|(_, c)| c)
                        .collect();
                }
                next.extend(found);
            }
            next.sort_by_key(NodeRef::order_key);
            next.dedup();
            current = next;
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    fn names(path: &str, xml: &str) -> Vec<String> {
        let doc = parse(xml).unwrap();
        XPath::parse(path)
            .unwrap()
            .select(&doc)
            .into_iter()
            .map(|r| match r {
                NodeRef::Node(p) => match node_at(&doc, &p) {
                    Some(NodeView::Element(e)) if p.is_empty() && e.name.is_empty() => "/".to_owned(),
                    Some(NodeView::Element(e)) => e.name.clone(),
                    Some(NodeView::Other(Node::Text(t))) => format!("text:{t}"),
                    _ => "?".to_owned(),
                },
                NodeRef::Attribute(p, i) => match node_at(&doc, &p) {
                    Some(NodeView::Element(e)) => format!("@{}", e.attributes[i].0),
                    _ => "?".to_owned(),
                },
            })
            .collect()
    }

    #[test]
    fn location_paths_select_in_document_order() {
        let xml = r#"<a x="1"><b>1</b><c y="2"><b k="v">2</b></c><b>3</b></a>"#;
        assert_eq!(names("/a//b", xml), ["b", "b", "b"]);
        assert_eq!(names("/a/b", xml), ["b", "b"]);
        assert_eq!(names("//b[@k='v']", xml), ["b"]);
        assert_eq!(names("//b[@k!='v']", xml), Vec::<String>::new());
        assert_eq!(names("/a/b[2]", xml), ["b"]);
        assert_eq!(names("/a/*[last()]", xml), ["b"]);
        assert_eq!(names("//@*", xml), ["@x", "@y", "@k"]);
        assert_eq!(names("/a/c/b/text()", xml), ["text:2"]);
        assert_eq!(names("/a[c]", xml), ["a"]);
        assert_eq!(names("/a/c[b='2']", xml), ["c"]);
        assert_eq!(names("/", xml), ["/"]);
        assert_eq!(names("//c/..", xml), ["a"]);
        for bad in ["", "/a[", "/a[contains(@x,'1')]", "a b", "/a/@"] {
            assert!(XPath::parse(bad).is_err(), "{bad}");
        }
    }
}
