//! `GenAIMessagesFromJSON(value, "convention")`: messages already in the conventions'
//! structure (`[{role, parts:[…], finish_reason}]`, as OpenLLMetry ≥0.5, the contrib
//! instrumentations, pydantic-ai and the Anthropic SDK send them), brought to the one shape
//! every other source gets: `developer`/`system` messages become instructions, `model` is
//! the assistant, a message of tool results only is a `tool` message, tool-call arguments
//! sent as JSON text become the object, and a tool result's `result` is its `response`.
//! Parts the conventions define are written in their order; anything else is kept as sent.

use std::borrow::Cow;

use serde_json::{Map, Value as Json};

use super::{arguments, call_part, json_str, response_part, str_out, text_part, Message, Out};

/// The messages of a list (or one message); none when anything in it is not a message with
/// `parts`, so a value that only looks like JSON messages (a chain's `{"input": …}`) is
/// left as it was sent.
pub(super) fn messages(document: &Json) -> Vec<Message<'_>> {
    let items: Vec<&Json> = match document {
        Json::Array(items) => items.iter().collect(),
        one @ Json::Object(_) => vec![one],
        _ => Vec::new(),
    };
    let objects: Option<Vec<&Map<String, Json>>> = items
        .into_iter()
        .map(|item| item.as_object().filter(|o| o.get("parts").is_some_and(Json::is_array)))
        .collect();
    objects.unwrap_or_default().into_iter().map(message).collect()
}

fn message(message: &Map<String, Json>) -> Message<'_> {
    let raw_parts: Vec<&Json> = match message.get("parts") {
        Some(Json::Array(parts)) => parts.iter().collect(),
        _ => Vec::new(),
    };
    let only_results = !raw_parts.is_empty()
        && raw_parts
            .iter()
            .all(|p| p.get("type").and_then(Json::as_str) == Some("tool_call_response"));
    let role = match json_str(message.get("role")) {
        _ if only_results => Cow::Borrowed("tool"),
        Some(role) => role,
        None => Cow::Borrowed(""),
    };
    Message {
        role,
        parts: raw_parts.into_iter().map(part).collect(),
        finish_reason: json_str(message.get("finish_reason")),
    }
}

fn part(value: &Json) -> Out<'_> {
    let Some(object) = value.as_object() else {
        return Out::Raw(value.clone());
    };
    match object.get("type").and_then(Json::as_str) {
        Some(kind @ ("text" | "reasoning")) => match object.get("content") {
            Some(Json::String(content)) if object.len() == 2 => {
                if kind == "text" {
                    text_part(content.as_str())
                } else {
                    Out::Obj(vec![("type", str_out(kind)), ("content", str_out(content.as_str()))])
                }
            }
            _ => Out::Raw(value.clone()),
        },
        Some("tool_call") => call_part(
            json_str(object.get("id")),
            json_str(object.get("name")).unwrap_or_default(),
            object.get("arguments").map(|a| match a {
                Json::String(s) => arguments(Cow::Borrowed(s.as_str())),
                other => Out::Raw(other.clone()),
            }),
        ),
        Some("tool_call_response") => {
            let response = match object.get("response").or_else(|| object.get("result")) {
                Some(Json::String(s)) => str_out(s.as_str()),
                Some(other) => Out::Raw(other.clone()),
                None => Out::Raw(Json::Null),
            };
            response_part(json_str(object.get("id")), response)
        }
        _ => Out::Raw(value.clone()),
    }
}
