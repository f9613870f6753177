//! intake extensions (not upstream OTTL): rebuilding flattened, indexed message
//! attributes into the GenAI conventions' JSON message structure. Stable OTTL cannot
//! iterate, so this one step lives here, parametrised by the source's flattening scheme
//! rather than special-cased per source in Rust (CANONICAL.md).
//!
//! `GenAIMessages(map, prefix, scheme, Optional[select])`:
//! - `scheme` `"openinference"`: `{prefix}.N.message.{role, content, name, tool_call_id,
//!   contents.M.message_content.{type,text}, tool_calls.K.tool_call.{id, function.name,
//!   function.arguments}}`.
//! - `scheme` `"indexed"` (OpenLLMetry ≤0.4): `{prefix}.N.{role, content, tool_call_id,
//!   finish_reason, tool_calls.K.{id, name, arguments}}`.
//! - `select` `"messages"` (default): every non-system message as
//!   `[{role, parts:[…]}]`; `"system"`: the parts of system messages (for
//!   `gen_ai.system_instructions`); `"finish_reasons"`: the messages' finish reasons
//!   as a string list.
//!
//! Returns nil when the map has no such keys, so `set(…) where … != nil` style guards work.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::super::compile::{opt, req};
use super::super::eval::{EvalError, EvalResult};
use super::super::value::Value;
use super::strings::{call, expect_str};
use super::{converter, FunctionSpec};
use crate::otlp::KeyValue;

pub const SPECS: &[FunctionSpec] = &[converter(
    "GenAIMessages",
    &[req("target"), req("prefix"), req("scheme"), opt("select")],
    |a| call(a, &["target", "prefix", "scheme", "select"], genai_messages),
)];

/// A JSON object whose keys print in the order they were added, whatever serde_json's
/// map ordering feature is: golden outputs must not depend on a build feature.
#[derive(Debug, Clone)]
enum Out {
    Str(String),
    Raw(Json),
    List(Vec<Out>),
    Obj(Vec<(&'static str, Out)>),
}

impl Out {
    fn write(&self, buf: &mut String) {
        match self {
            Out::Str(s) => buf.push_str(&Json::String(s.clone()).to_string()),
            Out::Raw(v) => write_sorted(v, buf),
            Out::List(items) => buf.push_str(&write_list(items)),
            Out::Obj(fields) => {
                buf.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        buf.push(',');
                    }
                    buf.push_str(&Json::String((*k).to_owned()).to_string());
                    buf.push(':');
                    v.write(buf);
                }
                buf.push('}');
            }
        }
    }
}

/// Source JSON (tool-call arguments) with object keys sorted.
fn write_sorted(value: &Json, buf: &mut String) {
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            buf.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                buf.push_str(&Json::String(k.clone()).to_string());
                buf.push(':');
                write_sorted(&map[k], buf);
            }
            buf.push('}');
        }
        Json::Array(items) => {
            buf.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                write_sorted(item, buf);
            }
            buf.push(']');
        }
        other => buf.push_str(&other.to_string()),
    }
}

fn write_list(items: &[Out]) -> String {
    let mut buf = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        item.write(&mut buf);
    }
    buf.push(']');
    buf
}

/// Flattened keys under a prefix, as a tree: index -> (rest of key -> value).
fn collect<'m>(map: &'m [KeyValue], prefix: &str) -> BTreeMap<usize, Vec<(&'m str, &'m KeyValue)>> {
    let mut out: BTreeMap<usize, Vec<(&str, &KeyValue)>> = BTreeMap::new();
    for kv in map {
        let Some(rest) = kv.key.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((index, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        out.entry(index).or_default().push((field, kv));
    }
    out
}

fn text(kv: &KeyValue) -> String {
    Value::from_optional_any(kv.value.as_ref())
        .as_string_like()
        .map(|s| s.into_owned())
        .unwrap_or_default()
}

/// Tool-call arguments are JSON text in every source; the convention wants the object.
fn arguments(raw: &str) -> Out {
    match serde_json::from_str::<Json>(raw) {
        Ok(v) if v.is_object() || v.is_array() => Out::Raw(v),
        _ => Out::Str(raw.to_owned()),
    }
}

fn text_part(content: String) -> Out {
    Out::Obj(vec![("type", Out::Str("text".into())), ("content", Out::Str(content))])
}

fn response_part(id: String, response: String) -> Out {
    Out::Obj(vec![
        ("type", Out::Str("tool_call_response".into())),
        ("id", Out::Str(id)),
        ("response", Out::Str(response)),
    ])
}

fn call_part(id: Option<String>, name: String, args: Option<Out>) -> Out {
    let mut fields = vec![("type", Out::Str("tool_call".into()))];
    if let Some(id) = id {
        fields.push(("id", Out::Str(id)));
    }
    fields.push(("name", Out::Str(name)));
    if let Some(args) = args {
        fields.push(("arguments", args));
    }
    Out::Obj(fields)
}

struct Message {
    role: String,
    parts: Vec<Out>,
    finish_reason: Option<String>,
}

fn field<'a>(fields: &'a [(&str, &KeyValue)], name: &str) -> Option<&'a KeyValue> {
    fields.iter().find(|(f, _)| *f == name).map(|(_, kv)| *kv)
}

/// Groups `a.N.b` sub-keys of one message: N -> (b -> value).
fn sub_items<'a>(fields: &'a [(&'a str, &'a KeyValue)], prefix: &str) -> BTreeMap<usize, Vec<(&'a str, &'a KeyValue)>> {
    let mut out: BTreeMap<usize, Vec<(&str, &KeyValue)>> = BTreeMap::new();
    for (f, kv) in fields {
        let Some(rest) = f.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((index, sub)) = rest.split_once('.') else {
            continue;
        };
        if let Ok(index) = index.parse::<usize>() {
            out.entry(index).or_default().push((sub, kv));
        }
    }
    out
}

fn openinference(fields: &[(&str, &KeyValue)]) -> Message {
    let role = field(fields, "message.role").map(text).unwrap_or_default();
    let mut parts = Vec::new();
    let tool_call_id = field(fields, "message.tool_call_id").map(text);
    let mut texts: Vec<String> = Vec::new();
    if let Some(content) = field(fields, "message.content") {
        texts.push(text(content));
    }
    for (_, content) in sub_items(fields, "message.contents") {
        let kind = field(&content, "message_content.type")
            .map(text)
            .unwrap_or_else(|| "text".to_owned());
        if kind == "text" {
            if let Some(t) = field(&content, "message_content.text") {
                texts.push(text(t));
            }
        } else if let Some(url) = field(&content, "message_content.image.image.url") {
            parts.push(Out::Obj(vec![
                ("type", Out::Str("uri".into())),
                ("modality", Out::Str("image".into())),
                ("uri", Out::Str(text(url))),
            ]));
        }
    }
    for t in texts {
        match &tool_call_id {
            Some(id) if role == "tool" => parts.push(response_part(id.clone(), t)),
            _ => parts.push(text_part(t)),
        }
    }
    for (_, call) in sub_items(fields, "message.tool_calls") {
        parts.push(call_part(
            field(&call, "tool_call.id").map(text),
            field(&call, "tool_call.function.name").map(text).unwrap_or_default(),
            field(&call, "tool_call.function.arguments").map(|a| arguments(&text(a))),
        ));
    }
    Message {
        role,
        parts,
        finish_reason: None,
    }
}

fn indexed(fields: &[(&str, &KeyValue)]) -> Message {
    let role = field(fields, "role").map(text).unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(content) = field(fields, "content") {
        match field(fields, "tool_call_id") {
            Some(id) if role == "tool" => parts.push(response_part(text(id), text(content))),
            _ => parts.push(text_part(text(content))),
        }
    }
    for (_, call) in sub_items(fields, "tool_calls") {
        parts.push(call_part(
            field(&call, "id").map(text),
            field(&call, "name").map(text).unwrap_or_default(),
            field(&call, "arguments").map(|a| arguments(&text(a))),
        ));
    }
    Message {
        role,
        parts,
        finish_reason: field(fields, "finish_reason").map(text),
    }
}

fn genai_messages(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let Value::Map(map) = &v[0] else {
        return Err(EvalError::new(format!(
            "GenAIMessages: expected pcommon.Map but got {}",
            v[0].type_name()
        )));
    };
    let prefix = expect_str(&v[1], "GenAIMessages prefix")?;
    let scheme = expect_str(&v[2], "GenAIMessages scheme")?;
    let select = match &v[3] {
        Value::Nil => "messages",
        other => expect_str(other, "GenAIMessages select")?,
    };
    let groups = collect(map, prefix);
    if groups.is_empty() {
        return Ok(Value::Nil);
    }
    let messages: Vec<Message> = groups
        .values()
        .map(|fields| match scheme {
            "openinference" => Ok(openinference(fields)),
            "indexed" => Ok(indexed(fields)),
            other => Err(EvalError::new(format!(
                "GenAIMessages: unknown scheme `{other}` (openinference, indexed)"
            ))),
        })
        .collect::<EvalResult<_>>()?;
    let out = match select {
        "messages" => {
            let list: Vec<Out> = messages
                .into_iter()
                .filter(|m| m.role != "system")
                .map(|m| Out::Obj(vec![("role", Out::Str(m.role)), ("parts", Out::List(m.parts))]))
                .collect();
            if list.is_empty() {
                return Ok(Value::Nil);
            }
            write_list(&list)
        }
        "system" => {
            let parts: Vec<Out> = messages
                .into_iter()
                .filter(|m| m.role == "system")
                .flat_map(|m| m.parts)
                .collect();
            if parts.is_empty() {
                return Ok(Value::Nil);
            }
            write_list(&parts)
        }
        "finish_reasons" => {
            let reasons: Vec<_> = messages
                .into_iter()
                .filter_map(|m| m.finish_reason)
                .map(|r| Value::string(r).into_any())
                .collect();
            if reasons.is_empty() {
                return Ok(Value::Nil);
            }
            return Ok(Value::List(Cow::Owned(reasons)));
        }
        other => {
            return Err(EvalError::new(format!(
                "GenAIMessages: unknown select `{other}` (messages, system, finish_reasons)"
            )))
        }
    };
    Ok(Value::string(out))
}
