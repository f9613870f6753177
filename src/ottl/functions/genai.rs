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
//! `GenAIMessagesFromJSON(value, scheme, Optional[default_role], Optional[select])`: a JSON
//! string holding a source's own message list (or one message), rewritten in the
//! conventions' structure; `select` as above, and output messages keep their
//! `finish_reason`.
//! - `scheme` `"gemini"`: Gemini `Content` objects, `{role, parts:[{text, thought},
//!   {functionCall:{id, name, args}}, {functionResponse:{id, name, response}},
//!   {inlineData:{mimeType, data}}, {fileData:{mimeType, fileUri}}]}`. Role `model` becomes
//!   `assistant`; a message of function responses only becomes `tool`; thoughts become
//!   `reasoning` parts; an unknown part is kept as it was sent. `finishReason` becomes a
//!   lower-case `finish_reason`. A message without a role takes `default_role`.
//! - `scheme` `"langchain"`: `{"messages": [[…]]}` (first batch), `{"messages": […]}`,
//!   `{"generations": [[{text, message, generation_info.finish_reason}]]}` or a bare list;
//!   each message plain (`{type: human|ai|system|tool, content, tool_calls, tool_call_id}`)
//!   or LangChain-serialised (`{lc, id: [… "HumanMessage"], kwargs}`). Content lists keep
//!   `text` and `image_url` parts; tool messages become `tool_call_response` parts.
//!
//! Returns nil when the value is not a string holding a JSON object or list.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::super::eval::{EvalError, EvalResult};
use super::super::signature::{opt, req};
use super::super::value::Value;
use super::strings::{call, expect_str};
use super::{converter, param, FunctionSpec};
use crate::otlp::KeyValue;

/// The views a message extension can return.
const SELECTS: &[&str] = &["messages", "system", "finish_reasons"];

pub const SPECS: &[FunctionSpec] = &[
    converter(
        "GenAIMessages",
        &[
            req(param::TARGET),
            req(param::PREFIX),
            req(param::SCHEME),
            opt(param::SELECT),
        ],
        |a| {
            a.check_literal_choice(param::SCHEME, &["openinference", "indexed"])?;
            a.check_literal_choice(param::SELECT, SELECTS)?;
            call(a, genai_messages)
        },
    ),
    converter(
        "GenAIMessagesFromJSON",
        &[
            req(param::TARGET),
            req(param::SCHEME),
            opt(param::DEFAULT_ROLE),
            opt(param::SELECT),
        ],
        |a| {
            a.check_literal_choice(param::SCHEME, &["gemini", "langchain"])?;
            a.check_literal_choice(param::SELECT, SELECTS)?;
            call(a, genai_messages_from_json)
        },
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
    render(messages, select, false, "GenAIMessages")
}

/// The selected view of parsed messages: the non-system messages, the parts of the system
/// ones, or the finish reasons. Nil when the view is empty.
fn render(
    messages: Vec<Message>,
    select: &str,
    with_finish_reason: bool,
    function: &str,
) -> EvalResult<Value<'static>> {
    let out = match select {
        "messages" => {
            let list: Vec<Out> = messages
                .into_iter()
                .filter(|m| m.role != "system")
                .map(|m| {
                    let mut fields = vec![("role", Out::Str(m.role)), ("parts", Out::List(m.parts))];
                    if let Some(reason) = m.finish_reason.filter(|_| with_finish_reason) {
                        fields.push(("finish_reason", Out::Str(reason)));
                    }
                    Out::Obj(fields)
                })
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
                "{function}: unknown select `{other}` (messages, system, finish_reasons)"
            )))
        }
    };
    Ok(Value::string(out))
}

fn genai_messages_from_json(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    const NAME: &str = "GenAIMessagesFromJSON";
    let scheme = expect_str(&v[1], "GenAIMessagesFromJSON scheme")?;
    let default_role = match &v[2] {
        Value::Nil => None,
        other => Some(expect_str(other, "GenAIMessagesFromJSON default_role")?),
    };
    let select = match &v[3] {
        Value::Nil => "messages",
        other => expect_str(other, "GenAIMessagesFromJSON select")?,
    };
    if !matches!(scheme, "gemini" | "langchain") {
        return Err(EvalError::new(format!(
            "{NAME}: unknown scheme `{scheme}` (gemini, langchain)"
        )));
    }
    let Value::Str(text) = &v[0] else {
        return Ok(Value::Nil);
    };
    let Ok(document) = serde_json::from_str::<Json>(text) else {
        return Ok(Value::Nil);
    };
    let mut messages = if scheme == "gemini" {
        let items = match &document {
            Json::Array(items) => items.iter().collect(),
            one @ Json::Object(_) => vec![one],
            _ => Vec::new(),
        };
        items
            .into_iter()
            .filter_map(Json::as_object)
            .map(gemini_message)
            .collect()
    } else {
        langchain_messages(&document)
    };
    for m in &mut messages {
        if m.role.is_empty() {
            m.role = default_role.unwrap_or("user").to_owned();
        }
    }
    render(messages, select, true, NAME)
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

fn gemini_message(message: &serde_json::Map<String, Json>) -> Message {
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
        None => String::new(),
    };
    Message {
        role,
        parts: raw_parts.into_iter().map(gemini_part).collect(),
        finish_reason: json_str(message.get("finishReason")).map(|r| r.to_ascii_lowercase()),
    }
}

/// LangChain's shapes: `{"messages": [[…]]}` (a batch: the first is taken), `{"messages": […]}`,
/// `{"generations": [[…]]}` (outputs), or a bare list of messages.
fn langchain_messages(document: &Json) -> Vec<Message> {
    fn first_batch(items: &[Json]) -> &[Json] {
        match items.first() {
            Some(Json::Array(batch)) => batch,
            _ => items,
        }
    }
    match document {
        Json::Object(o) => {
            if let Some(Json::Array(generations)) = o.get("generations") {
                return first_batch(generations)
                    .iter()
                    .filter_map(langchain_generation)
                    .collect();
            }
            match o.get("messages") {
                Some(Json::Array(items)) => first_batch(items).iter().filter_map(langchain_message).collect(),
                _ => langchain_message(document).into_iter().collect(),
            }
        }
        Json::Array(items) => first_batch(items).iter().filter_map(langchain_message).collect(),
        _ => Vec::new(),
    }
}

fn langchain_generation(generation: &Json) -> Option<Message> {
    let object = generation.as_object()?;
    let finish_reason = object
        .get("generation_info")
        .and_then(|info| json_str(info.get("finish_reason")));
    let mut message = match object.get("message") {
        Some(m) => langchain_message(m)?,
        None => Message {
            role: "assistant".into(),
            parts: vec![text_part(json_str(object.get("text"))?)],
            finish_reason: None,
        },
    };
    if message.finish_reason.is_none() {
        message.finish_reason = finish_reason;
    }
    Some(message)
}

fn langchain_role(name: &str) -> String {
    match name {
        "human" | "HumanMessage" | "HumanMessageChunk" => "user",
        "ai" | "AIMessage" | "AIMessageChunk" => "assistant",
        "system" | "SystemMessage" | "SystemMessageChunk" => "system",
        "tool" | "ToolMessage" | "ToolMessageChunk" | "function" | "FunctionMessage" => "tool",
        other => other,
    }
    .to_owned()
}

/// One message, plain (`{"type": "human", "content": …}`) or in LangChain's serialised form
/// (`{"lc": 1, "id": [… "HumanMessage"], "kwargs": {…}}`).
fn langchain_message(message: &Json) -> Option<Message> {
    let outer = message.as_object()?;
    let (fields, class) = match outer.get("kwargs").and_then(Json::as_object) {
        Some(kwargs) if outer.contains_key("lc") => (
            kwargs,
            outer
                .get("id")
                .and_then(Json::as_array)
                .and_then(|id| id.last())
                .and_then(Json::as_str),
        ),
        _ => (outer, None),
    };
    let role = match fields.get("type").and_then(Json::as_str) {
        Some("chat") => json_str(fields.get("role")).unwrap_or_default(),
        Some(kind) => langchain_role(kind),
        None => fields
            .get("role")
            .and_then(Json::as_str)
            .or(class)
            .map(langchain_role)
            .unwrap_or_default(),
    };
    let mut parts = Vec::new();
    let content = fields.get("content");
    if role == "tool" {
        let mut response = vec![("type", Out::Str("tool_call_response".into()))];
        if let Some(id) = json_str(fields.get("tool_call_id")) {
            response.push(("id", Out::Str(id)));
        }
        let value = match content {
            Some(Json::String(s)) => Out::Str(s.clone()),
            Some(other) => Out::Raw(other.clone()),
            None => Out::Str(String::new()),
        };
        response.push(("response", value));
        parts.push(Out::Obj(response));
    } else {
        match content {
            Some(Json::String(s)) if !s.is_empty() => parts.push(text_part(s.clone())),
            Some(Json::Array(items)) => parts.extend(items.iter().filter_map(langchain_content)),
            _ => {}
        }
    }
    if let Some(Json::Array(calls)) = fields.get("tool_calls") {
        for call in calls.iter().filter_map(Json::as_object) {
            parts.push(call_part(
                json_str(call.get("id")),
                json_str(call.get("name")).unwrap_or_default(),
                call.get("args").cloned().map(Out::Raw),
            ));
        }
    } else if let Some(Json::Array(calls)) = fields.get("additional_kwargs").and_then(|k| k.get("tool_calls")) {
        // OpenAI's shape, kept by older LangChain versions.
        for call in calls.iter().filter_map(Json::as_object) {
            let function = call.get("function");
            parts.push(call_part(
                json_str(call.get("id")),
                json_str(function.and_then(|f| f.get("name"))).unwrap_or_default(),
                json_str(function.and_then(|f| f.get("arguments"))).map(|a| arguments(&a)),
            ));
        }
    }
    // A chain's inputs (`{"question": …}`) are not a message.
    if role.is_empty() && parts.is_empty() {
        return None;
    }
    let finish_reason = fields
        .get("response_metadata")
        .and_then(|m| json_str(m.get("finish_reason")));
    Some(Message {
        role,
        parts,
        finish_reason,
    })
}

fn langchain_content(item: &Json) -> Option<Out> {
    match item {
        Json::String(s) => Some(text_part(s.clone())),
        Json::Object(o) => match o.get("type").and_then(Json::as_str) {
            Some("text") => Some(text_part(json_str(o.get("text"))?)),
            Some("image_url") => {
                let url = match o.get("image_url") {
                    Some(Json::String(s)) => s.clone(),
                    Some(other) => json_str(other.get("url"))?,
                    None => return None,
                };
                Some(Out::Obj(vec![
                    ("type", Out::Str("uri".into())),
                    ("modality", Out::Str("image".into())),
                    ("uri", Out::Str(url)),
                ]))
            }
            _ => Some(Out::Raw(item.clone())),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str, role: Option<&str>) -> Option<serde_json::Value> {
        let args = [
            Value::string(text.to_owned()),
            Value::str("gemini"),
            role.map_or(Value::Nil, Value::str),
            Value::Nil,
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
        let args = [Value::Int(1), Value::str("gemini"), Value::Nil, Value::Nil];
        assert_eq!(genai_messages_from_json(&args).unwrap(), Value::Nil);
        let args = [Value::str("[]"), Value::str("claude"), Value::Nil, Value::Nil];
        assert!(genai_messages_from_json(&args).is_err());
    }

    fn langchain(text: &str, select: &str) -> Option<serde_json::Value> {
        let args = [
            Value::string(text.to_owned()),
            Value::str("langchain"),
            Value::Nil,
            Value::str(select),
        ];
        match genai_messages_from_json(&args).unwrap() {
            Value::Str(s) => Some(serde_json::from_str(&s).unwrap()),
            Value::List(l) => Some(serde_json::Value::Array(
                l.iter()
                    .map(|v| serde_json::Value::String(Value::from_any(v).as_string_like().unwrap().into_owned()))
                    .collect(),
            )),
            Value::Nil => None,
            other => panic!("{other:?}"),
        }
    }

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn langchain_inputs_plain_and_serialised_become_convention_messages() {
        let prompt = r#"{"messages":[[
            {"lc":1,"type":"constructor","id":["langchain","schema","messages","SystemMessage"],"kwargs":{"content":"Be brief.","type":"system"}},
            {"lc":1,"type":"constructor","id":["langchain","schema","messages","HumanMessage"],"kwargs":{"content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]}},
            {"type":"ai","content":"","tool_calls":[{"id":"call_1","name":"search","args":{"q":"cat"}}]},
            {"type":"tool","content":"a cat","tool_call_id":"call_1"}
        ]]}"#;
        assert_eq!(
            langchain(prompt, "messages"),
            Some(json(
                r#"[{"role":"user","parts":[{"type":"text","content":"What is this?"},{"type":"uri","modality":"image","uri":"https://x/cat.png"}]},
                    {"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"search","arguments":{"q":"cat"}}]},
                    {"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"a cat"}]}]"#
            ))
        );
        assert_eq!(
            langchain(prompt, "system"),
            Some(json(r#"[{"type":"text","content":"Be brief."}]"#))
        );
    }

    #[test]
    fn langchain_generations_become_output_messages_with_finish_reasons() {
        let completion = r#"{"generations":[[{"text":"hello","generation_info":{"finish_reason":"stop"},
            "message":{"lc":1,"type":"constructor","id":["langchain","schema","messages","AIMessage"],
              "kwargs":{"content":"hello","additional_kwargs":{"tool_calls":[{"id":"c2","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}}}}]]}"#;
        assert_eq!(
            langchain(completion, "messages"),
            Some(json(
                r#"[{"role":"assistant","parts":[{"type":"text","content":"hello"},{"type":"tool_call","id":"c2","name":"f","arguments":{"a":1}}],"finish_reason":"stop"}]"#
            ))
        );
        assert_eq!(langchain(completion, "finish_reasons"), Some(json(r#"["stop"]"#)));
        assert_eq!(
            langchain(r#"{"generations":[[{"text":"hi"}]]}"#, "messages"),
            Some(json(
                r#"[{"role":"assistant","parts":[{"type":"text","content":"hi"}]}]"#
            ))
        );
        assert_eq!(langchain(r#"{"generations":[]}"#, "messages"), None);
        assert_eq!(
            langchain(r#"{"question":"why?"}"#, "messages"),
            None,
            "a chain's inputs"
        );
    }
}
