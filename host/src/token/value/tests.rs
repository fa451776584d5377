use super::*;

#[test]
fn tokens_of_kubeadms_form_parse_into_id_and_secret() {
    for (text, id, secret) in [
        ("abcdef.0123456789abcdef", "abcdef", "0123456789abcdef"),
        ("000000.0000000000000000", "000000", "0000000000000000"),
        ("z9z9z9.zzzzzzzzzzzzzzzz", "z9z9z9", "zzzzzzzzzzzzzzzz"),
    ] {
        let token: BootstrapToken = text.parse().unwrap();
        assert_eq!(token.id().as_str(), id, "{text}");
        assert_eq!(token.secret(), secret, "{text}");
        assert_eq!(token.expose(), text);
    }
}

#[test]
fn malformed_tokens_are_refused_with_the_problem_and_without_the_secret() {
    // (case, input, what the message must say, the secret part it must not repeat)
    let cases = [
        ("empty", "", "it is empty", ""),
        (
            "no dot",
            "abcdef0123456789abcdef",
            "it has no '.'",
            "0123456789abcdef",
        ),
        (
            "short id",
            "abcde.0123456789abcdef",
            "the token ID has 5 characters; expected 6",
            "0123456789abcdef",
        ),
        (
            "upper-case id",
            "ABCDEF.0123456789abcdef",
            "the token ID has characters other than [a-z0-9]",
            "0123456789abcdef",
        ),
        (
            "short secret",
            "abcdef.0123456789abcde",
            "the token secret has 15 characters; expected 16",
            "0123456789abcde",
        ),
        (
            "long secret",
            "abcdef.0123456789abcdef0",
            "the token secret has 17 characters",
            "0123456789abcdef0",
        ),
        (
            "upper-case secret",
            "abcdef.0123456789ABCDEF",
            "the token secret has characters other than [a-z0-9]",
            "0123456789ABCDEF",
        ),
        (
            "two dots",
            "abcdef.01234567.9abcdef",
            "the token secret has characters other than [a-z0-9]",
            "01234567.9abcdef",
        ),
        (
            "underscore",
            "abc_ef.0123456789abcdef",
            "the token ID has characters other than [a-z0-9]",
            "0123456789abcdef",
        ),
    ];
    for (case, input, problem, secret) in cases {
        let err = input.parse::<BootstrapToken>().unwrap_err().to_string();
        assert!(err.starts_with("invalid bootstrap token "), "{case}: {err}");
        assert!(err.contains(problem), "{case}: {err}");
        assert!(!err.contains('\n'), "{case}: {err}");
        if !secret.is_empty() {
            assert!(!err.contains(secret), "{case} leaks the secret: {err}");
        }
    }
}

#[test]
fn messages_show_the_id_part_and_withhold_the_rest() {
    let err = "abcdef.0123456789abcde"
        .parse::<BootstrapToken>()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid bootstrap token \"abcdef.<15 characters withheld>\": the token secret has 15 \
         characters; expected 16 of [a-z0-9] (the form [a-z0-9]{6}.[a-z0-9]{16})"
    );
    let err = "0123456789abcdefghij"
        .parse::<BootstrapToken>()
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid bootstrap token \"<20 characters withheld>\": it has no '.'"),
        "{err}"
    );
}

#[test]
fn display_and_debug_redact_the_secret() {
    let token: BootstrapToken = "abcdef.0123456789abcdef".parse().unwrap();
    for shown in [
        format!("{token}"),
        format!("{token:?}"),
        format!("{token:#?}"),
    ] {
        assert!(shown.contains("abcdef"), "{shown}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }
    assert_eq!(token.to_string(), "abcdef.<redacted>");
}

#[test]
fn token_delete_takes_an_id_or_a_whole_token() {
    for (input, id) in [
        ("abcdef", "abcdef"),
        ("abcdef.0123456789abcdef", "abcdef"),
        ("123456", "123456"),
    ] {
        assert_eq!(TokenId::from_id_or_token(input).unwrap().as_str(), id);
    }
    for input in ["", "abcde", "abcdefg", "ABCDEF", "abcdef.", "abcdef.0123"] {
        let err = TokenId::from_id_or_token(input).unwrap_err().to_string();
        assert!(
            err.contains(r#"didn't match pattern "\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z" or "\\A([a-z0-9]{6})\\z""#),
            "{input}: {err}"
        );
    }
    let err = TokenId::from_id_or_token("abcdef.0123456789ABCDEF").unwrap_err();
    assert!(!err.to_string().contains("0123456789ABCDEF"), "{err}");
}

#[test]
fn the_secret_of_a_token_id_is_named_after_it() {
    let id: TokenId = "abcdef".parse().unwrap();
    assert_eq!(id.secret_name(), "bootstrap-token-abcdef");
}

#[test]
fn generated_tokens_are_well_formed_and_differ() {
    let tokens: Vec<BootstrapToken> = (0..50)
        .map(|_| BootstrapToken::generate().unwrap())
        .collect();
    for t in &tokens {
        let reparsed: BootstrapToken = t.expose().parse().unwrap();
        assert_eq!(&reparsed, t);
    }
    let mut distinct: Vec<String> = tokens.iter().map(BootstrapToken::expose).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), tokens.len());
}

#[test]
fn bytes_past_252_are_drawn_again_so_every_character_is_equally_likely() {
    // Popped from the end: 0 -> '0', 35 -> 'z', 252..=255 skipped, 36 -> '0', 251 -> 'z'; then
    // zeros.
    let mut bytes = vec![251, 36, 255, 254, 253, 252, 35, 0];
    let replay = |buf: &mut [u8]| {
        buf.iter_mut().for_each(|b| *b = bytes.pop().unwrap_or(0));
        Ok(())
    };
    assert_eq!(random_chars(6, replay).unwrap(), "0z0z00");
}

#[test]
fn a_failing_generator_is_an_error() {
    let err = random_chars(6, |_| Err(Unspecified)).unwrap_err();
    assert_eq!(err, TokenError::Random);
}
