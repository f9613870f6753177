//! `google.rpc.Status` and `google.rpc.RetryInfo`: the error body of both transports.
//! Hand-declared prost messages (field numbers from google/rpc/status.proto,
//! error_details.proto, protobuf/any.proto and duration.proto).

use std::time::Duration;

use prost::Message;

pub const RETRY_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.RetryInfo";

#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<ProtoAny>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ProtoAny {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<ProtoDuration>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ProtoDuration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl RpcStatus {
    pub fn new(code: i32, message: impl Into<String>, retry_after: Option<Duration>) -> Self {
        let details = retry_after
            .map(|delay| ProtoAny {
                type_url: RETRY_INFO_TYPE_URL.to_owned(),
                value: RetryInfo {
                    retry_delay: Some(ProtoDuration {
                        seconds: delay.as_secs() as i64,
                        nanos: delay.subsec_nanos() as i32,
                    }),
                }
                .encode_to_vec(),
            })
            .into_iter()
            .collect();
        Self {
            code,
            message: message.into(),
            details,
        }
    }

    /// The proto3 JSON form; `RetryInfo` is the only detail type we emit.
    pub fn to_json(&self) -> Vec<u8> {
        let details: Vec<serde_json::Value> = self
            .details
            .iter()
            .filter(|d| d.type_url == RETRY_INFO_TYPE_URL)
            .filter_map(|d| RetryInfo::decode(&d.value[..]).ok())
            .map(|info| {
                let delay = info.retry_delay.unwrap_or_default();
                let text = if delay.nanos == 0 {
                    format!("{}s", delay.seconds)
                } else {
                    format!("{}.{:09}s", delay.seconds, delay.nanos)
                };
                serde_json::json!({"@type": RETRY_INFO_TYPE_URL, "retryDelay": text})
            })
            .collect();
        let mut body = serde_json::json!({"code": self.code, "message": self.message});
        if !details.is_empty() {
            body["details"] = serde_json::Value::Array(details);
        }
        body.to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_info_round_trips_and_renders_as_json() {
        let status = RpcStatus::new(14, "kafka down", Some(Duration::from_millis(1500)));
        let decoded = RpcStatus::decode(&status.encode_to_vec()[..]).unwrap();
        assert_eq!(decoded, status);
        let info = RetryInfo::decode(&decoded.details[0].value[..]).unwrap();
        assert_eq!(info.retry_delay.unwrap().seconds, 1);
        let json: serde_json::Value = serde_json::from_slice(&status.to_json()).unwrap();
        assert_eq!(json["code"], 14);
        assert_eq!(json["details"][0]["retryDelay"], "1.500000000s");
    }
}
