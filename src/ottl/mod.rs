//! OTTL, the OpenTelemetry Transformation Language: parse (pest) -> syntax tree ->
//! compiled program -> evaluation over OTLP traces.

pub mod ast;
mod error;
pub mod parser;

pub use error::ParseError;
pub use parser::{parse_condition, parse_statement, parse_value};
