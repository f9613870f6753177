//! `INTAKE_*` environment overrides, applied to the parsed config file before it is
//! deserialized: `INTAKE_KAFKA__BROKERS=...` sets `kafka.brokers`.

use toml::{Table, Value};

pub const ENV_PREFIX: &str = "INTAKE_";
/// Variables with the prefix that are not config fields.
const NOT_CONFIG: &[&str] = &["INTAKE_CONFIG", "INTAKE_LOG"];
/// Tables whose keys are librdkafka property names: `_` in the variable becomes `.`.
const DOTTED_TABLES: &[&str] = &["librdkafka"];

/// Sets each `INTAKE_A__B__C=value` at path `a.b.c`. Values that parse as TOML integers,
/// floats, booleans or arrays take that type; anything else is a string (quote a value,
/// `'"123"'`, to force a string).
pub fn apply_env_overrides(
    table: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, String> {
    let mut applied = Vec::new();
    for (name, raw) in vars {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if NOT_CONFIG.contains(&name.as_str()) || rest.is_empty() {
            continue;
        }
        let mut path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(format!("{name}: empty path segment (use `__` between sections)"));
        }
        let in_dotted = path.len() >= 2 && DOTTED_TABLES.contains(&path[path.len() - 2].as_str());
        if in_dotted {
            if let Some(last) = path.last_mut() {
                *last = last.replace('_', ".");
            }
        }
        let value = if in_dotted {
            Value::String(raw)
        } else {
            parse_scalar(&raw)
        };
        set_path(table, &path, value).map_err(|e| format!("{name}: {e}"))?;
        applied.push(path.join("."));
    }
    Ok(applied)
}

fn parse_scalar(raw: &str) -> Value {
    match toml::from_str::<Table>(&format!("v = {raw}")) {
        Ok(mut t) => match t.remove("v") {
            Some(
                v @ (Value::Integer(_) | Value::Float(_) | Value::Boolean(_) | Value::Array(_) | Value::String(_)),
            ) => v,
            _ => Value::String(raw.to_owned()),
        },
        Err(_) => Value::String(raw.to_owned()),
    }
}

fn set_path(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty path")?;
    let mut current = table;
    for (depth, segment) in parents.iter().enumerate() {
        let entry = current
            .entry(segment.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Table(t) => t,
            _ => return Err(format!("`{}` is not a section", path[..=depth].join("."))),
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_paths_types_and_librdkafka_names() {
        let mut table = Table::new();
        let applied = apply_env_overrides(
            &mut table,
            vec![
                ("INTAKE_KAFKA__BROKERS".into(), "127.0.0.1:9092".into()),
                ("INTAKE_KAFKA__MAX_MESSAGE_BYTES".into(), "1000".into()),
                ("INTAKE_KAFKA__LIBRDKAFKA__SASL_MECHANISM".into(), "PLAIN".into()),
                ("INTAKE_CONFIG".into(), "x.toml".into()),
                ("OTHER".into(), "y".into()),
            ],
        )
        .unwrap();
        assert_eq!(applied.len(), 3);
        let kafka = table["kafka"].as_table().unwrap();
        assert_eq!(kafka["brokers"].as_str(), Some("127.0.0.1:9092"));
        assert_eq!(kafka["max_message_bytes"].as_integer(), Some(1000));
        assert_eq!(kafka["librdkafka"]["sasl.mechanism"].as_str(), Some("PLAIN"));
    }

    #[test]
    fn a_scalar_in_the_way_of_a_section_is_an_error_naming_the_variable() {
        let mut table: Table = toml::from_str("kafka = 3").unwrap();
        let err = apply_env_overrides(&mut table, vec![("INTAKE_KAFKA__TOPIC".into(), "t".into())]).unwrap_err();
        assert!(err.contains("INTAKE_KAFKA__TOPIC") && err.contains("kafka"), "{err}");
    }
}
