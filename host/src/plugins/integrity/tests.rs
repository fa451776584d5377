use super::*;

fn verification(signature: SignatureStatus) -> Verification {
    Verification {
        file: PathBuf::from("/plugins/p.wasm"),
        digest: Digest::of(b"plugin"),
        signature_file: PathBuf::from("/plugins/p.wasm.minisig"),
        signature,
        recorded: false,
    }
}

#[test]
fn digests_are_sha256() {
    assert_eq!(
        Digest::of(b"abc").hex(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

/// Name, pin, signature, unsigned allowed, and the verdict (or part of its error).
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    SignatureStatus,
    bool,
    Result<Trust, &'a str>,
);

#[test]
fn the_verdict_follows_pin_signature_and_the_unsigned_flag() {
    let right = Digest::of(b"plugin").hex();
    let upper = right.to_uppercase();
    let wrong = "0".repeat(64);
    let valid = SignatureStatus::Valid {
        key: "acme".into(),
        comment: String::new(),
    };
    let invalid = SignatureStatus::Invalid {
        reason: "acme: bad signature".into(),
    };
    let cases: Vec<Case<'_>> = vec![
        (
            "pinned",
            Some(&right),
            SignatureStatus::Missing,
            false,
            Ok(Trust::Pinned { signed_by: None }),
        ),
        (
            "pinned upper-case",
            Some(&upper),
            SignatureStatus::Missing,
            false,
            Ok(Trust::Pinned { signed_by: None }),
        ),
        (
            "pinned and signed",
            Some(&right),
            valid.clone(),
            false,
            Ok(Trust::Pinned {
                signed_by: Some("acme".into()),
            }),
        ),
        (
            "signed",
            None,
            valid.clone(),
            false,
            Ok(Trust::Signed { key: "acme".into() }),
        ),
        (
            "wrong pin",
            Some(&wrong),
            valid.clone(),
            true,
            Err("but the PluginConfiguration pins 0000"),
        ),
        (
            "bad signature, pinned",
            Some(&right),
            invalid.clone(),
            true,
            Err("is not valid for any trusted key: acme: bad signature"),
        ),
        (
            "bad signature, allowed unsigned",
            None,
            invalid,
            true,
            Err("is not valid for any trusted key"),
        ),
        (
            "unsigned",
            None,
            SignatureStatus::Missing,
            false,
            Err("is neither pinned nor signed; add \"sha256: "),
        ),
        (
            "unsigned but allowed",
            None,
            SignatureStatus::Missing,
            true,
            Ok(Trust::AllowedUnsigned),
        ),
    ];
    for (case, pin, signature, allow, want) in cases {
        let got = verification(signature).judge("p", pin, allow);
        match (got, want) {
            (Ok(trust), Ok(want)) => assert_eq!(trust, want, "{case}"),
            (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{case}: {e}"),
            (got, want) => panic!("{case}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn a_signature_needs_a_trusted_key() {
    let keys = [TrustedKey {
        name: "acme".into(),
        public_key: "RWRgYmNz8z9TxF7NCTvEfw4ZbFzC0sunieOw8dGwqJ3gdvinH2Li1xn3".into(),
    }];
    assert!(matches!(
        check_signature(b"x", "not a signature", &keys),
        SignatureStatus::Invalid { .. }
    ));
    assert_eq!(
        default_signature_path(Path::new("/p/a.wasm")),
        PathBuf::from("/p/a.wasm.minisig")
    );
}

#[test]
fn an_unread_file_is_read_for_compiling_only_while_it_has_the_verified_digest() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.wasm");
    std::fs::write(&file, b"verified").unwrap();
    let digest = Digest::of(b"verified");
    let wasm = Wasm::Unread(file.clone());
    assert_eq!(&*wasm.bytes(&digest).unwrap(), b"verified");
    std::fs::write(&file, b"replaced").unwrap();
    let e = wasm.bytes(&digest).unwrap_err().to_string();
    assert!(e.contains("it changed while it was being loaded"), "{e}");
    assert!(e.contains(&Digest::of(b"replaced").hex()), "{e}");
}

#[test]
fn a_stamp_stands_for_a_file_read_whole_on_this_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.wasm");
    std::fs::write(&file, b"plugin").unwrap();
    let (bytes, stamp) = read_plugin_file_stamped(&file).unwrap();
    assert_eq!(bytes, b"plugin");
    let on = rustix::fs::statfs(dir.path()).unwrap();
    assert_eq!(
        stamp.is_some(),
        stamped_filesystem(on.f_type),
        "f_type {:#x}",
        on.f_type
    );
    assert_eq!(stamp, trusted_stamp(&file));
    assert_eq!(trusted_stamp(dir.path()), None, "a directory");
}
