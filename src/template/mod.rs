//! IngestionTemplates: a YAML file of OTTL statements in the transformprocessor's shape,
//! compiled once into a `CompiledTemplate` that reshapes requests.

mod builtin;
mod catalog;
mod file;
pub mod golden;
mod group;
mod group_compiler;
pub mod guard;
mod infer;
mod interleave;
mod program;
pub mod provenance;
mod runner;
mod summaries;
mod transform;

pub use catalog::{CatalogEntry, TemplateCatalog, TemplatesConfig};
pub use file::{ErrorMode, GroupSpec, StatementEntry, TemplateFile};
pub use program::{ApplyError, ApplyReport, CompiledTemplate, TemplateError};
pub use provenance::Sender;
pub use transform::{transform, TransformError};

/// The template name that means "apply no template".
pub const NO_TEMPLATE: &str = "none";
