use super::*;

#[test]
fn the_table_of_byte_sizes_holds() {
    for (text, want) in CASES {
        assert_eq!(parse_bytes(text).ok(), *want, "{text:?}");
    }
}

#[test]
fn a_refusal_shows_the_text_and_what_is_expected() {
    let err = parse_bytes("64MB").unwrap_err().to_string();
    assert!(
        err.starts_with("\"64MB\" is not a byte size; expected a whole number of bytes"),
        "{err}"
    );
    assert!(
        err.contains("Ki, Mi, Gi, Ti") && err.contains("k, M, G, T"),
        "{err}"
    );
}

#[test]
fn sizes_print_in_the_largest_binary_unit_that_divides_them() {
    assert_eq!(format_bytes(64 << 20), "64Mi");
    assert_eq!(format_bytes(3 << 40), "3Ti");
    assert_eq!(format_bytes(1000), "1000");
    assert_eq!(format_bytes(0), "0");
    for (text, want) in CASES {
        if let Some(bytes) = want {
            assert_eq!(parse_bytes(&format_bytes(*bytes)), Ok(*bytes), "{text:?}");
        }
    }
}
