//! JSON text straight into OTLP values, in one pass (no `serde_json::Value` in between):
//! what `ParseJSON` returns. Numbers are doubles (as upstream's are float64); object keys
//! come out sorted, a repeated key keeping its last value, whatever serde_json's map
//! features are.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::otlp::{any_value, AnyValue, ArrayValue, KeyValue, KeyValueList};

/// Parses `text` as one JSON value: the common case (no escapes in strings, shallow, plain
/// numbers) without serde, anything else, errors included, by serde_json, so results and
/// error messages are serde's either way.
pub fn parse_any(text: &str) -> Result<AnyValue, serde_json::Error> {
    match super::json_fast::parse(text) {
        Some(value) => Ok(value),
        None => parse_any_with_serde(text),
    }
}

/// `parse_any` by serde_json alone.
pub fn parse_any_with_serde(text: &str) -> Result<AnyValue, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = AnyValueSeed.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

struct AnyValueSeed;

impl<'de> DeserializeSeed<'de> for AnyValueSeed {
    type Value = AnyValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<AnyValue, D::Error> {
        deserializer.deserialize_any(AnyValueVisitor)
    }
}

struct AnyValueVisitor;

fn any(value: any_value::Value) -> AnyValue {
    AnyValue { value: Some(value) }
}

impl<'de> Visitor<'de> for AnyValueVisitor {
    type Value = AnyValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<AnyValue, E> {
        Ok(AnyValue::default())
    }

    fn visit_bool<E>(self, b: bool) -> Result<AnyValue, E> {
        Ok(any(any_value::Value::BoolValue(b)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<AnyValue, E> {
        Ok(any(any_value::Value::DoubleValue(n as f64)))
    }

    fn visit_u64<E>(self, n: u64) -> Result<AnyValue, E> {
        Ok(any(any_value::Value::DoubleValue(n as f64)))
    }

    fn visit_f64<E>(self, n: f64) -> Result<AnyValue, E> {
        Ok(any(any_value::Value::DoubleValue(n)))
    }

    fn visit_str<E>(self, s: &str) -> Result<AnyValue, E> {
        Ok(any(any_value::Value::StringValue(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<AnyValue, E> {
        Ok(any(any_value::Value::StringValue(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyValue, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(value) = seq.next_element_seed(AnyValueSeed)? {
            values.push(value);
        }
        Ok(any(any_value::Value::ArrayValue(ArrayValue { values })))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue, A::Error> {
        let mut values: Vec<KeyValue> = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(AnyValueSeed)?;
            values.push(KeyValue {
                key,
                value: Some(value),
                ..Default::default()
            });
        }
        Ok(any(any_value::Value::KvlistValue(KeyValueList {
            values: sorted_last_wins(values),
        })))
    }
}

/// An object's entries sorted by key (stably), a repeated key keeping its last value.
pub fn sorted_last_wins(mut values: Vec<KeyValue>) -> Vec<KeyValue> {
    values.sort_by(|a, b| a.key.cmp(&b.key));
    // `dedup_by` keeps the earlier of two equal neighbours: give it the later one's value.
    values.dedup_by(|later, earlier| {
        if later.key == earlier.key {
            std::mem::swap(later, earlier);
            true
        } else {
            false
        }
    });
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_lists_and_numbers_as_upstream_reads_them() {
        let value = parse_any(r#"{"b":[1,true,null,"x"],"a":{"z":1.5,"y":-2},"a":{"k":0}}"#).unwrap();
        let Some(any_value::Value::KvlistValue(map)) = value.value else {
            panic!("not a map")
        };
        let keys: Vec<&str> = map.values.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["a", "b"], "sorted, the repeated key once");
        let Some(any_value::Value::KvlistValue(a)) = &map.values[0].value.as_ref().unwrap().value else {
            panic!()
        };
        assert_eq!(a.values[0].key, "k", "the last value of a repeated key wins");
        let Some(any_value::Value::ArrayValue(b)) = &map.values[1].value.as_ref().unwrap().value else {
            panic!()
        };
        assert_eq!(b.values[0].value, Some(any_value::Value::DoubleValue(1.0)));
        assert_eq!(b.values[1].value, Some(any_value::Value::BoolValue(true)));
        assert_eq!(b.values[2].value, None);
        assert!(parse_any("{} trailing").is_err());
        assert!(parse_any("{").is_err());
    }

    #[test]
    fn doubles_come_back_exact() {
        let value = parse_any("[0.014229900000032103, 9007199254740993]").unwrap();
        let Some(any_value::Value::ArrayValue(list)) = value.value else {
            panic!()
        };
        assert_eq!(
            list.values[0].value,
            Some(any_value::Value::DoubleValue(0.014229900000032103))
        );
        assert_eq!(
            list.values[1].value,
            Some(any_value::Value::DoubleValue(9007199254740993u64 as f64))
        );
    }
}
