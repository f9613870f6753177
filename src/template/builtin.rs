//! The built-in catalog, compiled into the binary so `intake serve` has it anywhere.

/// (file name, YAML text) of every built-in template.
pub const BUILTIN: &[(&str, &str)] = &[
    ("openinference.yaml", include_str!("../../templates/openinference.yaml")),
    ("openllmetry.yaml", include_str!("../../templates/openllmetry.yaml")),
    ("vercel_ai.yaml", include_str!("../../templates/vercel_ai.yaml")),
    ("claude_code.yaml", include_str!("../../templates/claude_code.yaml")),
    ("codex.yaml", include_str!("../../templates/codex.yaml")),
    ("gemini_cli.yaml", include_str!("../../templates/gemini_cli.yaml")),
    ("copilot.yaml", include_str!("../../templates/copilot.yaml")),
    ("cline.yaml", include_str!("../../templates/cline.yaml")),
    ("pydantic_ai.yaml", include_str!("../../templates/pydantic_ai.yaml")),
    ("langsmith.yaml", include_str!("../../templates/langsmith.yaml")),
    ("genai_semconv.yaml", include_str!("../../templates/genai_semconv.yaml")),
    ("auto.yaml", include_str!("../../templates/auto.yaml")),
];
