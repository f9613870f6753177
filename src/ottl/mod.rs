//! OTTL, the OpenTelemetry Transformation Language: parse (pest) -> syntax tree ->
//! compiled program -> evaluation over OTLP traces.

mod access;
pub mod ast;
pub mod compile;
pub mod context;
mod error;
pub mod eval;
pub mod functions;
mod key_summary;
pub mod lambda;
mod log_access;
mod metric_access;
pub mod parser;
pub mod rename;
mod requirement;
pub mod shared_guard;
pub mod signature;
pub mod switch;
pub mod value;

pub use compile::{CompiledStatement, Compiler};
pub use context::{ContextKind, Target};
pub use error::ParseError;
pub use eval::EvalError;
pub use functions::Registry;
pub use key_summary::KeySummary;
pub use parser::{parse_condition, parse_statement, parse_value};
pub use requirement::KeyRequirement;
