//! Upstream's XML converters: `ParseXML`, `ParseSimplifiedXML`, `GetXML`, `InsertXML`,
//! `RemoveXML`, `ConvertAttributesToElementsXML`, `ConvertTextToElementsXML`. Their XPath
//! arguments are literals (upstream types them `string`), compiled once when the template
//! loads.

mod tree;
mod xpath;

use std::borrow::Cow;

use tree::{write, write_node, Document, Element, Node};
use xpath::{node_at, NodeRef, NodeView, XPath};

use super::super::context::Target;
use super::super::eval::{Converter, EvalError, EvalResult, Expr};
use super::super::signature::{converter as boxed, opt, req, Args};
use super::super::value::Value;
use super::strings::expect_str;
use super::{converter, param, FunctionSpec};
use crate::otlp::{any_value, AnyValue, ArrayValue, KeyValue, KeyValueList};
use crate::ottl::error::ParseError;

pub const SPECS: &[FunctionSpec] = &[
    converter("ParseXML", &[req(param::TARGET)], |a| build(a, Op::Parse, None)),
    converter("ParseSimplifiedXML", &[req(param::TARGET)], |a| {
        build(a, Op::ParseSimplified, None)
    }),
    converter("GetXML", &[req(param::TARGET), req(param::XPATH)], |a| {
        build(a, Op::Get, Some("/"))
    }),
    converter("RemoveXML", &[req(param::TARGET), req(param::XPATH)], |a| {
        build(a, Op::Remove, Some("/"))
    }),
    converter(
        "InsertXML",
        &[req(param::TARGET), req(param::XPATH), req(param::SUB_DOCUMENT)],
        |a| {
            let sub = a.expr(param::SUB_DOCUMENT)?;
            build(a, Op::Insert(sub), Some("/"))
        },
    ),
    converter(
        "ConvertAttributesToElementsXML",
        &[req(param::TARGET), opt(param::XPATH)],
        |a| build(a, Op::AttributesToElements, Some("//@*")),
    ),
    converter(
        "ConvertTextToElementsXML",
        &[req(param::TARGET), opt(param::XPATH), opt(param::ELEMENT_NAME)],
        |a| {
            let name = a.opt_string(param::ELEMENT_NAME)?.filter(|n| !n.is_empty());
            build(
                a,
                Op::TextToElements(name.unwrap_or_else(|| "value".to_owned())),
                Some("/"),
            )
        },
    ),
];

#[derive(Debug)]
enum Op {
    Parse,
    ParseSimplified,
    Get,
    Remove,
    Insert(Expr),
    AttributesToElements,
    TextToElements(String),
}

#[derive(Debug)]
struct Xml {
    target: Expr,
    path: Option<XPath>,
    op: Op,
}

/// `default_path` is what an optional XPath means when it is left out (or empty).
fn build(a: &mut Args<'_>, op: Op, default_path: Option<&str>) -> Result<Box<dyn Converter>, ParseError> {
    let path = match default_path {
        None => None,
        Some(default) => {
            let text = a.opt_string(param::XPATH)?.filter(|p| !p.is_empty());
            Some(XPath::parse(text.as_deref().unwrap_or(default)).map_err(|e| a.error(e))?)
        }
    };
    boxed(Xml {
        target: a.expr(param::TARGET)?,
        path,
        op,
    })
}

impl Converter for Xml {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let text = self.target.eval(target)?;
        let mut document = tree::parse(expect_str(&text, "XML target")?).map_err(EvalError::new)?;
        let selected = || self.path.as_ref().map(|p| p.select(&document)).unwrap_or_default();
        let out = match &self.op {
            Op::Parse => return parse_xml(&document),
            Op::ParseSimplified => {
                let mut map = Vec::new();
                simplified(&document, &mut map);
                return Ok(Value::Map(Cow::Owned(map)));
            }
            Op::Get => get(&document, &selected()),
            Op::Remove => {
                let nodes = selected();
                remove(&mut document, nodes);
                write(&document)
            }
            Op::Insert(sub) => {
                let sub = sub.eval(target)?;
                let sub = tree::parse(expect_str(&sub, "InsertXML sub_document")?).map_err(EvalError::new)?;
                let nodes = selected();
                insert(&mut document, &nodes, &sub)?;
                write(&document)
            }
            Op::AttributesToElements => {
                let nodes = selected();
                attributes_to_elements(&mut document, &nodes);
                write(&document)
            }
            Op::TextToElements(name) => {
                for node in selected() {
                    if let NodeRef::Node(path) = node {
                        if let Some(e) = element_mut(&mut document, &path) {
                            text_to_elements(e, name);
                        }
                    }
                }
                write(&document)
            }
        };
        Ok(Value::string(out))
    }
}

fn element_mut<'d>(document: &'d mut Document, path: &[usize]) -> Option<&'d mut Element> {
    let mut current = document;
    for &i in path {
        current = match current.children.get_mut(i)? {
            Node::Element(e) => e,
            _ => return None,
        };
    }
    Some(current)
}

/// GetXML: the selected elements and texts as they are written; an attribute or CDATA
/// selected gives its text.
fn get(document: &Document, nodes: &[NodeRef]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            NodeRef::Node(path) => match node_at(document, path) {
                Some(NodeView::Element(e)) if path.is_empty() => tree::write_children(e, &mut out),
                Some(NodeView::Element(e)) => tree::write_element(e, &mut out),
                Some(NodeView::Other(n @ Node::Text(_))) => write_node(n, &mut out),
                Some(NodeView::Other(Node::CData(c))) => tree::escape_text(c, &mut out),
                _ => {}
            },
            NodeRef::Attribute(path, i) => {
                if let Some(NodeView::Element(e)) = node_at(document, path) {
                    tree::escape_text(&e.attributes[*i].1, &mut out);
                }
            }
        }
    }
    out
}

/// RemoveXML: elements, comments and CDATA leave the tree, attributes their element, texts
/// are emptied. Last first, so the paths of the rest stay right.
fn remove(document: &mut Document, mut nodes: Vec<NodeRef>) {
    nodes.reverse();
    for node in nodes {
        match node {
            NodeRef::Node(path) => {
                let Some((last, parent)) = path.split_last() else {
                    continue;
                };
                let Some(parent) = element_mut(document, parent) else {
                    continue;
                };
                match parent.children.get_mut(*last) {
                    Some(Node::Text(t)) => t.clear(),
                    Some(Node::Element(_) | Node::Comment(_) | Node::CData(_)) => {
                        parent.children.remove(*last);
                    }
                    _ => {}
                }
            }
            NodeRef::Attribute(path, i) => {
                if let Some(e) = element_mut(document, &path) {
                    e.attributes.remove(i);
                }
            }
        }
    }
}

fn insert(document: &mut Document, nodes: &[NodeRef], sub: &Document) -> EvalResult<()> {
    let mut refused = Vec::new();
    for node in nodes {
        match node {
            NodeRef::Node(path) if matches!(node_at(document, path), Some(NodeView::Element(_))) => {
                if let Some(e) = element_mut(document, path) {
                    e.children.extend(sub.children.iter().cloned());
                }
            }
            other => refused.push(format!("{other:?}")),
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(EvalError::new(format!(
            "InsertXML XPath selected non-element: {}",
            refused.join(", ")
        )))
    }
}

/// Each selected attribute becomes a last child element of its element, in document order.
fn attributes_to_elements(document: &mut Document, nodes: &[NodeRef]) {
    let mut moved: Vec<(Vec<usize>, String, String)> = Vec::new();
    for node in nodes {
        if let NodeRef::Attribute(path, i) = node {
            if let Some(NodeView::Element(e)) = node_at(document, path) {
                let (k, v) = &e.attributes[*i];
                moved.push((path.clone(), k.clone(), v.clone()));
            }
        }
    }
    for (path, key, value) in moved {
        if let Some(e) = element_mut(document, &path) {
            e.attributes.retain(|(k, _)| *k != key);
            e.children.push(Node::Element(Element {
                name: key,
                attributes: Vec::new(),
                children: vec![Node::Text(value)],
            }));
        }
    }
}

/// Text beside other text or elements gets an element of its own (upstream's
/// `ConvertTextToElementsForNode`), all the way down.
fn text_to_elements(parent: &mut Element, name: &str) {
    let (mut values, mut elements) = (0, 0);
    for child in &mut parent.children {
        match child {
            Node::Element(e) => {
                text_to_elements(e, name);
                elements += 1;
            }
            Node::Text(_) => values += 1,
            _ => {}
        }
    }
    if values == 0 || elements + values <= 1 {
        return;
    }
    for child in &mut parent.children {
        if let Node::Text(t) = child {
            *child = Node::Element(Element {
                name: name.to_owned(),
                attributes: Vec::new(),
                children: vec![Node::Text(std::mem::take(t))],
            });
        }
    }
}

fn string_value(s: String) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(s)),
    })
}

fn entry(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value,
        ..Default::default()
    }
}

/// ParseXML (Go's encoding/xml reading the first element): `tag`, `content` (the element's
/// own text, each run trimmed), `attributes` (local names), `children`.
fn parse_xml(document: &Document) -> EvalResult<Value<'static>> {
    let root = document
        .children
        .iter()
        .find_map(|c| match c {
            Node::Element(e) => Some(e),
            _ => None,
        })
        .ok_or_else(|| EvalError::new("unmarshal xml: EOF"))?;
    Ok(Value::Map(Cow::Owned(xml_map(root))))
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn xml_map(element: &Element) -> Vec<KeyValue> {
    let mut map = vec![entry("tag", string_value(element.local_name().to_owned()))];
    let content: String = element
        .children
        .iter()
        .filter_map(|c| match c {
            Node::Text(t) | Node::CData(t) => Some(t.trim()),
            _ => None,
        })
        .collect();
    if !content.is_empty() {
        map.push(entry("content", string_value(content)));
    }
    if !element.attributes.is_empty() {
        let attributes = element
            .attributes
            .iter()
            .map(|(k, v)| entry(local(k), string_value(v.clone())))
            .collect();
        map.push(entry(
            "attributes",
            Some(AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList { values: attributes })),
            }),
        ));
    }
    let children: Vec<AnyValue> = element
        .children
        .iter()
        .filter_map(|c| match c {
            Node::Element(e) => Some(AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList { values: xml_map(e) })),
            }),
            _ => None,
        })
        .collect();
    if !children.is_empty() {
        map.push(entry(
            "children",
            Some(AnyValue {
                value: Some(any_value::Value::ArrayValue(ArrayValue { values: children })),
            }),
        ));
    }
    map
}

/// ParseSimplifiedXML: element names to their text, or to maps of their children; a name
/// repeated among siblings becomes a list; attributes and stray text are dropped.
fn simplified(parent: &Element, out: &mut Vec<KeyValue>) {
    let elements: Vec<&Element> = parent
        .children
        .iter()
        .filter_map(|c| match c {
            Node::Element(e) if !e.children.is_empty() => Some(e),
            _ => None,
        })
        .collect();
    let count = |name: &str| {
        parent
            .children
            .iter()
            .filter(|c| matches!(c, Node::Element(e) if e.name == name))
            .count()
    };
    for child in elements {
        let leaf = leaf_value(child);
        let value = match leaf {
            Some(text) => string_value(text),
            None => {
                let mut map = Vec::new();
                simplified(child, &mut map);
                if map.is_empty() {
                    continue;
                }
                Some(AnyValue {
                    value: Some(any_value::Value::KvlistValue(KeyValueList { values: map })),
                })
            }
        };
        if count(&child.name) > 1 {
            let at = match out.iter().position(|kv| kv.key == child.name) {
                Some(at) => at,
                None => {
                    out.push(entry(
                        &child.name,
                        Some(AnyValue {
                            value: Some(any_value::Value::ArrayValue(ArrayValue::default())),
                        }),
                    ));
                    out.len() - 1
                }
            };
            if let Some(AnyValue {
                value: Some(any_value::Value::ArrayValue(items)),
            }) = &mut out[at].value
            {
                items.values.extend(value);
            }
        } else {
            out.push(entry(&child.name, value));
        }
    }
}

/// The first text of an element without child elements.
fn leaf_value(element: &Element) -> Option<String> {
    if element.children.iter().any(|c| matches!(c, Node::Element(_))) {
        return None;
    }
    element.children.iter().find_map(|c| match c {
        Node::Text(t) | Node::CData(t) if !t.is_empty() => Some(t.clone()),
        _ => None,
    })
}
