//! What to paste into each client so it sends all its telemetry to intake with a new key:
//! `intake key new --for claude-code` and friends.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientKind {
    /// Claude Code: environment, all three signals.
    ClaudeCode,
    /// Codex: the `[otel]` table of ~/.codex/config.toml, one full URL per signal.
    Codex,
    /// Gemini CLI: ~/.gemini/settings.json plus the header variable.
    GeminiCli,
    /// Cline: its CLINE_OTEL_* environment.
    Cline,
    /// GitHub Copilot CLI: environment.
    Copilot,
    /// Any OpenTelemetry SDK: the standard OTEL_EXPORTER_OTLP_* environment.
    OtelSdk,
    /// An OpenTelemetry Collector: an otlphttp exporter and the pipelines using it.
    Collector,
}

/// The text for `kind`, pointing at `endpoint` (the OTLP/HTTP base URL) with `token`.
pub fn setup_text(kind: ClientKind, endpoint: &str, token: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    match kind {
        ClientKind::ClaudeCode => format!(
            "# Claude Code: add to your shell profile (or the env block of ~/.claude/settings.json)\n\
             export CLAUDE_CODE_ENABLE_TELEMETRY=1\n\
             export OTEL_LOGS_EXPORTER=otlp\n\
             export OTEL_METRICS_EXPORTER=otlp\n\
             export OTEL_TRACES_EXPORTER=otlp\n\
             export CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1\n\
             export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\
             export OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}\n\
             export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {token}\"\n"
        ),
        ClientKind::Codex => {
            let exporter = |signal: &str| {
                format!(
                    "{{ otlp-http = {{ endpoint = \"{endpoint}/v1/{signal}\", protocol = \"binary\", headers = {{ \"Authorization\" = \"Bearer {token}\" }} }} }}"
                )
            };
            format!(
                "# Codex: add to ~/.codex/config.toml\n\
                 [otel]\n\
                 log_user_prompt = false\n\
                 exporter = {}\n\
                 trace_exporter = {}\n\
                 metrics_exporter = {}\n",
                exporter("logs"),
                exporter("traces"),
                exporter("metrics")
            )
        }
        ClientKind::GeminiCli => format!(
            "# Gemini CLI: merge into ~/.gemini/settings.json\n\
             {{ \"telemetry\": {{ \"enabled\": true, \"target\": \"local\", \"useCollector\": false,\n\
             \x20              \"otlpEndpoint\": \"{endpoint}\", \"otlpProtocol\": \"http\", \"logPrompts\": false }} }}\n\
             # and in the environment Gemini CLI runs in:\n\
             export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {token}\"\n"
        ),
        ClientKind::Cline => format!(
            "# Cline: add to the environment Cline runs in\n\
             export CLINE_OTEL_TELEMETRY_ENABLED=true\n\
             export CLINE_OTEL_LOGS_EXPORTER=otlp\n\
             export CLINE_OTEL_METRICS_EXPORTER=otlp\n\
             export CLINE_OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\
             export CLINE_OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}\n\
             export CLINE_OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {token}\"\n"
        ),
        ClientKind::Copilot => format!(
            "# GitHub Copilot CLI: add to your shell profile\n\
             export COPILOT_OTEL_ENABLED=true\n\
             export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\
             export OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}\n\
             export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {token}\"\n"
        ),
        ClientKind::OtelSdk => format!(
            "# Any OpenTelemetry SDK: traces, logs and metrics\n\
             export OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}\n\
             export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\
             export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {token}\"\n"
        ),
        ClientKind::Collector => format!(
            "# OpenTelemetry Collector: merge into its config (keep the token in the INTAKE_KEY variable)\n\
             # export INTAKE_KEY={token}\n\
             exporters:\n\
             \x20 otlphttp/intake:\n\
             \x20   endpoint: {endpoint}\n\
             \x20   headers:\n\
             \x20     Authorization: \"Bearer ${{env:INTAKE_KEY}}\"\n\
             service:\n\
             \x20 pipelines:\n\
             \x20   traces:\n\
             \x20     receivers: [otlp]\n\
             \x20     exporters: [otlphttp/intake]\n\
             \x20   logs:\n\
             \x20     receivers: [otlp]\n\
             \x20     exporters: [otlphttp/intake]\n\
             \x20   metrics:\n\
             \x20     receivers: [otlp]\n\
             \x20     exporters: [otlphttp/intake]\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ik-lw-AAAAAAAAAAAAAAAA_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn every_client_gets_the_endpoint_and_the_token() {
        for kind in ClientKind::value_variants() {
            let text = setup_text(*kind, "https://intake.example/", TOKEN);
            assert!(text.contains("https://intake.example"), "{kind:?}: {text}");
            assert!(!text.contains("intake.example//"), "{kind:?}: {text}");
            assert!(text.contains(TOKEN), "{kind:?}: {text}");
        }
    }

    #[test]
    fn codex_gets_a_full_url_per_signal_and_valid_toml() {
        let text = setup_text(ClientKind::Codex, "https://intake.example", TOKEN);
        let table: toml::Table = toml::from_str(&text).unwrap();
        let otel = table["otel"].as_table().unwrap();
        for (field, signal) in [
            ("exporter", "logs"),
            ("trace_exporter", "traces"),
            ("metrics_exporter", "metrics"),
        ] {
            let http = &otel[field]["otlp-http"];
            assert_eq!(
                http["endpoint"].as_str(),
                Some(format!("https://intake.example/v1/{signal}").as_str())
            );
            assert_eq!(
                http["headers"]["Authorization"].as_str(),
                Some(format!("Bearer {TOKEN}").as_str())
            );
        }
    }

    #[test]
    fn the_collector_block_is_yaml_with_all_three_pipelines() {
        let text = setup_text(ClientKind::Collector, "https://intake.example", TOKEN);
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(
            yaml["exporters"]["otlphttp/intake"]["endpoint"].as_str(),
            Some("https://intake.example")
        );
        for signal in ["traces", "logs", "metrics"] {
            assert_eq!(
                yaml["service"]["pipelines"][signal]["exporters"][0].as_str(),
                Some("otlphttp/intake")
            );
        }
    }

    #[test]
    fn claude_code_sends_all_three_signals() {
        let text = setup_text(ClientKind::ClaudeCode, "http://localhost:4318", TOKEN);
        for line in [
            "export CLAUDE_CODE_ENABLE_TELEMETRY=1",
            "export OTEL_LOGS_EXPORTER=otlp",
            "export OTEL_METRICS_EXPORTER=otlp",
            "export OTEL_TRACES_EXPORTER=otlp",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
    }
}
