use super::*;

#[test]
fn terminal_controls_become_visible_escapes() {
    let cases = [
        ("plain text", "ok: 3 checks", true, "ok: 3 checks"),
        (
            "ANSI colour",
            "\u{1b}[31mred\u{1b}[0m",
            true,
            "\\u{1b}[31mred\\u{1b}[0m",
        ),
        (
            "carriage return overwrite",
            "fine\rEVIL",
            true,
            "fine\\u{d}EVIL",
        ),
        ("bell", "a\u{7}b", true, "a\\u{7}b"),
        ("C1 CSI", "a\u{9b}2Jb", true, "a\\u{9b}2Jb"),
        ("bidi override", "abc\u{202e}fed", true, "abc\\u{202e}fed"),
        ("newline kept", "one\ntwo", true, "one\ntwo"),
        ("newline on one line", "one\ntwo", false, "one\\u{a}two"),
        ("tab kept", "a\tb", false, "a\tb"),
        ("unicode kept", "größe ✓", false, "größe ✓"),
    ];
    for (case, input, keep_newlines, want) in cases {
        assert_eq!(neutralise(input, keep_newlines), want, "{case}");
    }
}

#[test]
fn log_records_are_kept_up_to_the_cap_and_the_rest_counted() {
    let mut sink = LogSink::default();
    let line = "x".repeat(1000);
    for _ in 0..100 {
        sink.push(LogLevel::Info, &line, &[]);
    }
    assert_eq!(sink.records.len(), CAPTURE_LIMIT / 1000);
    assert_eq!(sink.dropped, 100 - CAPTURE_LIMIT / 1000);
}

#[test]
fn log_records_are_neutralised_to_one_line() {
    let mut sink = LogSink::default();
    sink.push(
        LogLevel::Warn,
        "bad\n\u{1b}[2J",
        &[("k\u{1b}".to_string(), "v\r".to_string())],
    );
    let record = &sink.records[0];
    assert_eq!(record.message, "bad\\u{a}\\u{1b}[2J");
    assert_eq!(
        record.fields,
        [("k\\u{1b}".to_string(), "v\\u{d}".to_string())]
    );
}

#[test]
fn the_stderr_summary_is_the_panic_message_on_one_line() {
    let streams = Streams::new();
    use wasmtime_wasi::p2::OutputStream as _;
    let mut stderr = streams.stderr.clone();
    stderr
        .write(
            "\nthread '<unnamed>' panicked at src/lib.rs:9:5:\nboom \u{1b}[1m\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
                .into(),
        )
        .unwrap();
    assert_eq!(
        streams.stderr_summary().as_deref(),
        Some("thread '<unnamed>' panicked at src/lib.rs:9:5: boom \\u{1b}[1m")
    );
    assert_eq!(Streams::new().stderr_summary(), None);
}

#[test]
fn invisible_and_reordering_characters_become_visible_escapes() {
    for c in [
        '\u{202a}',
        '\u{202e}',
        '\u{2066}',
        '\u{2069}',
        '\u{61c}',
        '\u{200b}',
        '\u{200d}',
        '\u{2060}',
        '\u{feff}',
        '\u{ad}',
        '\u{e0001}',
        '\u{e0041}',
        '\u{e007f}',
        '\u{85}',
        '\u{7f}',
    ] {
        let text = format!("a{c}b");
        assert_eq!(
            neutralise(&text, true),
            format!("a\\u{{{:x}}}b", c as u32),
            "U+{:04X}",
            c as u32
        );
    }
}

#[test]
fn one_line_cuts_long_text_on_a_character_boundary_and_says_how_long_it_was() {
    assert_eq!(one_line("short\nline", 100), "short\\u{a}line");
    let long = format!("ä{}", "x".repeat(5000));
    let cut = one_line(&long, 1);
    assert_eq!(cut, "… (5002 bytes in all)");
    let cut = one_line(&long, 1024);
    assert!(
        cut.len() < 1100 && cut.ends_with("… (5002 bytes in all)"),
        "{cut}"
    );
}

#[test]
fn terminal_yaml_shows_exactly_the_value_with_hidden_controls_escaped() {
    let plain = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "data": { "conf": "line one\nline two\n", "n": 3 },
    });
    let shown = terminal_yaml(&plain);
    assert!(shown.contains("kind: ConfigMap"), "{shown}");
    let hostile = serde_json::json!({
        "kind": "ConfigMap",
        "data": {
            "hostPID": "true\r# nothing here",
            "privileged": "\u{202e}eurt\u{202c}",
            "tag\u{e0041}": "zero\u{200b}width\u{1b}[2J\u{85}\u{7f}",
        },
    });
    let shown = terminal_yaml(&hostile);
    assert!(
        !shown.chars().any(|c| c != '\n' && is_hidden_control(c)),
        "{shown:?}"
    );
    assert!(
        shown.contains("\\u202E") && shown.contains("\\U000E0041"),
        "{shown}"
    );
    for value in [plain, hostile] {
        let shown = terminal_yaml(&value);
        let reparsed: serde_json::Value = serde_saphyr::from_str(&shown).unwrap();
        assert_eq!(reparsed, value, "{shown}");
    }
}
