//! The built-in catalog, compiled into the binary so `intake serve` has it anywhere.

/// (file name, YAML text) of every built-in template.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "openinference.yaml",
        include_str!("../../templates/openinference.yaml"),
    ),
    ("auto.yaml", include_str!("../../templates/auto.yaml")),
];
