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
//!
//! `GenAIMessagesFromJSON(value, scheme, Optional[default_role])`: a JSON string holding a
//! source's own message list (or one message) in the conventions' structure.
//! - `scheme` `"gemini"`: Gemini `Content` objects, `{role, parts:[{text, thought},
//!   {functionCall:{id, name, args}}, {functionResponse:{id, name, response}},
//!   {inlineData:{mimeType, data}}, {fileData:{mimeType, fileUri}}]}`. Role `model` becomes
//!   `assistant`; a message of function responses only becomes `tool`; thoughts become
//!   `reasoning` parts; an unknown part is kept as it was sent. `finishReason` becomes a
//!   lower-case `finish_reason`. A message without a role takes `default_role`.
//!
//! Returns nil when the value is not a string holding a JSON object or list.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::super::compile::{opt, req};
use super::super::eval::{EvalError, EvalResult};
use super::super::value::Value;
use super::strings::{call, expect_str};
use super::{converter, FunctionSpec};
use crate::otlp::KeyValue;

pub const SPECS: &[FunctionSpec] = &[
    converter(
        "GenAIMessages",
        &[req("target"), req("prefix"), req("scheme"), opt("select")],
        |a| call(a, &["target", "prefix", "scheme", "select"], genai_messages),
    ),
    converter(
        "GenAIMessagesFromJSON",
        &[req("target"), req("scheme"), opt("default_role")],
        |a| call(a, &["target", "scheme", "default_role"], genai_messages_from_json),
    ),
];

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

fn genai_messages_from_json(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let scheme = expect_str(&v[1], "GenAIMessagesFromJSON scheme")?;
    let default_role = match &v[2] {
        Value::Nil => None,
        other => Some(expect_str(other, "GenAIMessagesFromJSON default_role")?),
    };
    if scheme != "gemini" {
        return Err(EvalError::new(format!(
            "GenAIMessagesFromJSON: unknown scheme `{scheme}` (gemini)"
        )));
    }
    let Value::Str(text) = &v[0] else {
        return Ok(Value::Nil);
    };
    let messages = match serde_json::from_str::<Json>(text) {
        Ok(Json::Array(items)) => items,
        Ok(one @ Json::Object(_)) => vec![one],
        _ => return Ok(Value::Nil),
    };
    let list: Vec<Out> = messages
        .iter()
        .filter_map(|m| m.as_object())
        .map(|m| gemini_message(m, default_role))
        .collect();
    if list.is_empty() {
        return Ok(Value::Nil);
    }
    Ok(Value::string(write_list(&list)))
}

fn json_str(value: Option<&Json>) -> Option<String> {
    value.and_then(Json::as_str).map(str::to_owned)
}

fn modality(mime: Option<&str>) -> Option<Out> {
    let kind = mime?.split('/').next()?;
    matches!(kind, "image" | "audio" | "video").then(|| Out::Str(kind.to_owned()))
}

fn gemini_part(part: &serde_json::Map<String, Json>) -> Out {
    if let Some(text) = json_str(part.get("text")) {
        let kind = if part.get("thought").and_then(Json::as_bool) == Some(true) {
            "reasoning"
        } else {
            "text"
        };
        return Out::Obj(vec![("type", Out::Str(kind.into())), ("content", Out::Str(text))]);
    }
    if let Some(call) = part.get("functionCall").and_then(Json::as_object) {
        return call_part(
            json_str(call.get("id")),
            json_str(call.get("name")).unwrap_or_default(),
            call.get("args").cloned().map(Out::Raw),
        );
    }
    if let Some(response) = part.get("functionResponse").and_then(Json::as_object) {
        let mut fields = vec![("type", Out::Str("tool_call_response".into()))];
        if let Some(id) = json_str(response.get("id")) {
            fields.push(("id", Out::Str(id)));
        }
        if let Some(name) = json_str(response.get("name")) {
            fields.push(("name", Out::Str(name)));
        }
        fields.push((
            "response",
            Out::Raw(response.get("response").cloned().unwrap_or(Json::Null)),
        ));
        return Out::Obj(fields);
    }
    for (key, kind, content) in [("inlineData", "blob", "data"), ("fileData", "uri", "fileUri")] {
        if let Some(data) = part.get(key).and_then(Json::as_object) {
            let mime = data.get("mimeType").and_then(Json::as_str);
            let mut fields = vec![("type", Out::Str(kind.into()))];
            if let Some(m) = modality(mime) {
                fields.push(("modality", m));
            }
            if let Some(mime) = mime {
                fields.push(("mime_type", Out::Str(mime.to_owned())));
            }
            let name = if kind == "blob" { "content" } else { "uri" };
            fields.push((name, Out::Str(json_str(data.get(content)).unwrap_or_default())));
            return Out::Obj(fields);
        }
    }
    Out::Raw(Json::Object(part.clone()))
}

fn gemini_message(message: &serde_json::Map<String, Json>, default_role: Option<&str>) -> Out {
    let raw_parts: Vec<&serde_json::Map<String, Json>> = message
        .get("parts")
        .and_then(Json::as_array)
        .map(|parts| parts.iter().filter_map(Json::as_object).collect())
        .unwrap_or_default();
    let only_responses = !raw_parts.is_empty() && raw_parts.iter().all(|p| p.contains_key("functionResponse"));
    let role = match message.get("role").and_then(Json::as_str) {
        _ if only_responses => "tool".to_owned(),
        Some("model") => "assistant".to_owned(),
        Some(role) => role.to_owned(),
        None => default_role.unwrap_or("user").to_owned(),
    };
    let mut fields = vec![
        ("role", Out::Str(role)),
        ("parts", Out::List(raw_parts.into_iter().map(gemini_part).collect())),
    ];
    if let Some(reason) = json_str(message.get("finishReason")) {
        fields.push(("finish_reason", Out::Str(reason.to_ascii_lowercase())));
    }
    Out::Obj(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str, role: Option<&str>) -> Option<serde_json::Value> {
        let args = [
            Value::string(text.to_owned()),
            Value::str("gemini"),
            role.map_or(Value::Nil, Value::str),
        ];
        match genai_messages_from_json(&args).unwrap() {
            Value::Str(s) => Some(serde_json::from_str(&s).unwrap()),
            Value::Nil => None,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gemini_contents_become_convention_messages() {
        let out = convert(
            r#"[{"role":"user","parts":[{"text":"hi"},{"inlineData":{"mimeType":"image/png","data":"AAA="}}]},
                {"role":"model","parts":[{"text":"thinking","thought":true},{"functionCall":{"id":"c1","name":"read_file","args":{"path":"a"}}}]},
                {"role":"user","parts":[{"functionResponse":{"id":"c1","name":"read_file","response":{"output":"x"}}}]},
                {"role":"user","parts":[{"fileData":{"mimeType":"application/pdf","fileUri":"gs://b/f"}},{"executableCode":{"code":"1"}}]}]"#,
            None,
        )
        .unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"[{"role":"user","parts":[{"type":"text","content":"hi"},{"type":"blob","modality":"image","mime_type":"image/png","content":"AAA="}]},
                {"role":"assistant","parts":[{"type":"reasoning","content":"thinking"},{"type":"tool_call","id":"c1","name":"read_file","arguments":{"path":"a"}}]},
                {"role":"tool","parts":[{"type":"tool_call_response","id":"c1","name":"read_file","response":{"output":"x"}}]},
                {"role":"user","parts":[{"type":"uri","mime_type":"application/pdf","uri":"gs://b/f"},{"executableCode":{"code":"1"}}]}]"#,
        )
        .unwrap();
        assert_eq!(out, expected);
    }

    #[test]
    fn one_object_without_a_role_takes_the_default_and_keeps_its_finish_reason() {
        let out = convert(
            r#"{"parts":[{"text":"PONG"}],"finishReason":"STOP"}"#,
            Some("assistant"),
        )
        .unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"[{"role":"assistant","parts":[{"type":"text","content":"PONG"}],"finish_reason":"stop"}]"#,
        )
        .unwrap();
        assert_eq!(out, expected);
    }

    #[test]
    fn anything_but_a_json_message_string_is_nil() {
        assert_eq!(convert("not json", None), None);
        assert_eq!(convert("42", None), None);
        assert_eq!(convert("[]", None), None);
        let args = [Value::Int(1), Value::str("gemini"), Value::Nil];
        assert_eq!(genai_messages_from_json(&args).unwrap(), Value::Nil);
        let args = [Value::str("[]"), Value::str("claude"), Value::Nil];
        assert!(genai_messages_from_json(&args).is_err());
    }
}
