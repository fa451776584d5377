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
    assert_eq!(
        sink.records[0].line(),
        "bad\\u{a}\\u{1b}[2J k\\u{1b}=v\\u{d}"
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
