//! The real `qres` binary, end to end in a temporary directory: keygen, encrypt and decrypt through files
//! and pipes in both formats, wrong keys, truncated input leaving no output file, passphrases typed on a
//! pseudo-terminal (util-linux `script`), binary output refused on a terminal, inspect, sign/verify, and
//! malformed input giving one line of error and a non-zero exit, never a panic.

use assert_cmd::Command;
use std::path::Path;

fn qres(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("qres").unwrap();
    c.current_dir(dir);
    c
}

/// Runs `qres ARGS` on a pseudo-terminal (stdin, stdout and stderr all on it), typing `typed`.
fn on_terminal(dir: &Path, args: &str, typed: &str) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("qres");
    let out = std::process::Command::new("script")
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .current_dir(dir)
        .stdin({
            let path = dir.join(".typed");
            std::fs::write(&path, typed).unwrap();
            std::fs::File::open(path).unwrap()
        })
        .output()
        .expect("util-linux script is needed for the terminal tests");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn public_key_of(identity_file: &Path) -> String {
    let text = std::fs::read_to_string(identity_file).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("# public key: ").or_else(|| l.strip_prefix("# verifying key: ")))
        .unwrap()
        .to_owned()
}

/// stderr is exactly one line, `qres: error: …`, and no panic.
fn one_line_error(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("qres: error: "), "{err}");
    err
}

#[test]
fn keygen_writes_a_private_identity_file_and_prints_the_public_key() {
    let dir = tempfile::tempdir().unwrap();
    for t in ["x-wing", "ml-kem-768", "ml-kem-1024", "ml-dsa-65", "age-pq", "age-x25519"] {
        let file = format!("{t}.txt");
        let out = qres(dir.path()).args(["keygen", "-t", t, "-o", &file]).output().unwrap();
        assert!(out.status.success(), "{t}");
        let printed = String::from_utf8_lossy(&out.stderr);
        let public = public_key_of(&dir.path().join(&file));
        assert!(printed.contains(&public), "{t}: {printed}");
        let text = std::fs::read_to_string(dir.path().join(&file)).unwrap();
        assert!(text.starts_with("# created: 20"), "{t}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(&file)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{t}");
        }
        // Never over an existing file.
        let again = qres(dir.path()).args(["keygen", "-t", t, "-o", &file]).output().unwrap();
        assert_eq!(again.status.code(), Some(3));
        assert_eq!(std::fs::read_to_string(dir.path().join(&file)).unwrap(), text);
    }
    // To standard output when no -o is given.
    let out = qres(dir.path()).args(["keygen", "-t", "age-pq"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("AGE-SECRET-KEY-PQ-1"));
}

#[test]
fn encrypt_and_decrypt_round_trip_through_files_and_pipes_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plaintext: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(d.join("plain.bin"), &plaintext).unwrap();
    let mut checked = 0;
    for t in ["x-wing", "ml-kem-768", "age-pq", "age-x25519"] {
        let id = format!("{t}.key");
        qres(d).args(["keygen", "-t", t, "-o", &id]).assert().success();
        let recipient = public_key_of(&d.join(&id));
        for armor in [false, true] {
            // Files.
            let sealed = format!("{t}-{armor}.enc");
            let mut args = vec!["encrypt", "-r", &recipient, "-o", &sealed];
            if armor {
                args.push("-a");
            }
            args.push("plain.bin");
            qres(d).args(&args).assert().success();
            let opened = format!("{t}-{armor}.out");
            qres(d).args(["decrypt", "-i", &id, "-o", &opened, &sealed]).assert().success();
            assert!(std::fs::read(d.join(&opened)).unwrap() == plaintext, "{t} {armor}");
            // Pipes: stdin to stdout both ways.
            let mut args = vec!["encrypt", "-r", &recipient];
            if armor {
                args.push("-a");
            }
            let sealed = qres(d).args(&args).write_stdin(plaintext.clone()).output().unwrap();
            assert!(sealed.status.success());
            assert_eq!(sealed.stdout.starts_with(b"-----BEGIN"), armor);
            let opened = qres(d).args(["decrypt", "-i", &id]).write_stdin(sealed.stdout).output().unwrap();
            assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
            assert!(opened.stdout == plaintext, "{t} {armor} (pipe)");
            checked += 2;
        }
    }
    assert_eq!(checked, 16);
    // The detected format is reported by inspect, without a key.
    let out = qres(d).args(["inspect", "x-wing-false.enc"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("format: qres envelope v1, binary") && text.contains("kem: X-Wing"), "{text}");
    assert!(text.contains("recipients: 1") && text.contains("post-quantum: yes"), "{text}");
    let out = qres(d).args(["inspect", "age-pq-true.enc"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("format: age") && text.contains("mlkem768x25519") && text.contains("post-quantum: yes"),
        "{text}"
    );
    let out = qres(d).args(["inspect", "age-x25519-false.enc"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("post-quantum: no"));
}

#[test]
fn a_wrong_key_or_a_truncated_file_fails_and_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("plain.bin"), vec![7u8; 200_000]).unwrap();
    for t in ["x-wing", "age-pq"] {
        let (id, other) = (format!("{t}.key"), format!("{t}-other.key"));
        qres(d).args(["keygen", "-t", t, "-o", &id]).assert().success();
        qres(d).args(["keygen", "-t", t, "-o", &other]).assert().success();
        let sealed = format!("{t}.enc");
        qres(d).args(["encrypt", "-r", &public_key_of(&d.join(&id)), "-o", &sealed, "plain.bin"]).assert().success();
        let out = qres(d).args(["decrypt", "-i", &other, "-o", "wrong.out", &sealed]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{t}");
        one_line_error(&out);
        assert!(!d.join("wrong.out").exists());
        let bytes = std::fs::read(d.join(&sealed)).unwrap();
        for cut in [bytes.len() - 1, bytes.len() / 2, 100] {
            std::fs::write(d.join("cut.enc"), &bytes[..cut]).unwrap();
            let out = qres(d).args(["decrypt", "-i", &id, "-o", "cut.out", "cut.enc"]).output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{t} cut at {cut}");
            one_line_error(&out);
            assert!(!d.join("cut.out").exists(), "{t}: a partial plaintext was left at cut {cut}");
            let leftovers: Vec<_> = std::fs::read_dir(d)
                .unwrap()
                .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".qres-partial"))
                .collect();
            assert!(leftovers.is_empty(), "temporary files left behind");
        }
        // An existing output file is never replaced.
        std::fs::write(d.join("exists.out"), b"keep").unwrap();
        let out = qres(d).args(["decrypt", "-i", &id, "-o", "exists.out", &sealed]).output().unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(std::fs::read(d.join("exists.out")).unwrap(), b"keep");
        std::fs::remove_file(d.join("exists.out")).unwrap();
    }
}

#[test]
fn passphrases_come_from_the_terminal_and_binary_output_is_refused_there() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m.txt"), b"typed secret").unwrap();
    let (code, _) = on_terminal(d, "encrypt -p --work-factor 10 -o m.age m.txt", "pass phrase\npass phrase\n");
    assert_eq!(code, 0);
    let (code, shown) = on_terminal(d, "decrypt m.age", "pass phrase\n");
    assert_eq!(code, 0);
    assert!(shown.contains("typed secret"), "{shown}");
    let (code, _) = on_terminal(d, "decrypt -o never.txt m.age", "wrong\n");
    assert_eq!(code, 1);
    assert!(!d.join("never.txt").exists());
    // Mismatched confirmation.
    let (code, _) = on_terminal(d, "encrypt -p -o m2.age m.txt", "one\ntwo\n");
    assert_eq!(code, 2);
    assert!(!d.join("m2.age").exists());
    // Binary ciphertext is not written to a terminal; armor is.
    qres(d).args(["keygen", "-o", "k.txt"]).assert().success();
    let r = public_key_of(&d.join("k.txt"));
    let (code, shown) = on_terminal(d, &format!("encrypt -r {r} m.txt"), "");
    assert_eq!(code, 3, "{shown}");
    assert!(shown.contains("refusing to write binary ciphertext to a terminal"));
    let (code, shown) = on_terminal(d, &format!("encrypt -a -r {r} m.txt"), "");
    assert_eq!(code, 0);
    assert!(shown.contains("-----BEGIN QRES ENVELOPE-----"));
    // A passphrase-protected qres key file asks on the terminal too.
    let (code, _) = on_terminal(d, "keygen --passphrase -o locked.txt", "key pass\nkey pass\n");
    assert_eq!(code, 0);
    let locked = public_key_of(&d.join("locked.txt"));
    qres(d).args(["encrypt", "-r", &locked, "-o", "l.qres", "m.txt"]).assert().success();
    let (code, shown) = on_terminal(d, "decrypt -i locked.txt l.qres", "key pass\n");
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("typed secret"));
    // Without a terminal there is no passphrase prompt: a clear usage error.
    let out = qres(d).args(["decrypt", "-i", "locked.txt", "l.qres"]).write_stdin("key pass\n").output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("typed secret"));
}

#[test]
fn detached_signatures_verify_only_with_the_same_file_key_and_context() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("app.tar"), b"release bits").unwrap();
    qres(d).args(["keygen", "-t", "ml-dsa-65", "-o", "sk.txt"]).assert().success();
    qres(d).args(["sign", "-i", "sk.txt", "-c", "release", "-o", "app.sig", "app.tar"]).assert().success();
    let vk = public_key_of(&d.join("sk.txt"));
    assert!(vk.starts_with("qresvk-ml-dsa-651"));
    let ok = qres(d).args(["verify", "-k", &vk, "-s", "app.sig", "-c", "release", "app.tar"]).output().unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("valid ML-DSA-65 signature"));
    // The identity file also works as the key argument (its public key line).
    qres(d).args(["verify", "-k", "sk.txt", "-s", "app.sig", "-c", "release", "app.tar"]).assert().success();
    let wrong_ctx = qres(d).args(["verify", "-k", &vk, "-s", "app.sig", "-c", "other", "app.tar"]).output().unwrap();
    assert_eq!(wrong_ctx.status.code(), Some(1));
    std::fs::write(d.join("app.tar"), b"release bitz").unwrap();
    let changed = qres(d).args(["verify", "-k", &vk, "-s", "app.sig", "-c", "release", "app.tar"]).output().unwrap();
    assert_eq!(changed.status.code(), Some(1));
    one_line_error(&changed);
    // A signed envelope: --verify requires the signature by that key.
    qres(d).args(["keygen", "-o", "k.txt"]).assert().success();
    let r = public_key_of(&d.join("k.txt"));
    qres(d).args(["encrypt", "-r", &r, "--sign", "sk.txt", "-o", "s.qres", "app.tar"]).assert().success();
    qres(d).args(["decrypt", "-i", "k.txt", "--verify", &vk, "s.qres"]).assert().success();
    qres(d).args(["keygen", "-t", "ml-dsa-65", "-o", "other.txt"]).assert().success();
    let other = public_key_of(&d.join("other.txt"));
    let out = qres(d).args(["decrypt", "-i", "k.txt", "--verify", &other, "s.qres"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    one_line_error(&out);
}

#[test]
fn malformed_recipients_identities_and_ciphertexts_give_one_line_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m.txt"), b"x").unwrap();
    qres(d).args(["keygen", "-o", "k.txt"]).assert().success();
    qres(d).args(["keygen", "-t", "age-pq", "-o", "a.txt"]).assert().success();
    let good = public_key_of(&d.join("k.txt"));
    let good_age = public_key_of(&d.join("a.txt"));
    let mut typo = good.clone();
    let i = good.len() / 2;
    typo.replace_range(i..i + 1, if &good[i..i + 1] == "q" { "p" } else { "q" });
    let mut age_typo = good_age.clone();
    age_typo.replace_range(i..i + 1, if &good_age[i..i + 1] == "q" { "p" } else { "q" });
    let mut runs = 0;
    for bad in [typo.as_str(), age_typo.as_str(), "nonsense", "age1", "qrespk-x-wing1", "", "qresvk-ml-dsa-651abc"] {
        let out = qres(d).args(["encrypt", "-r", bad, "m.txt"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = one_line_error(&out);
        assert!(err.len() < 300, "{err}");
        runs += 1;
    }
    for (name, content) in [
        ("empty.txt", "".to_owned()),
        ("comments.txt", "# only a comment\n".to_owned()),
        ("garbage.txt", "AGE-SECRET-KEY-PQ-1NOTAKEY\n".to_owned()),
        ("armor.txt", "-----BEGIN QRES PRIVATE KEY-----\nAAAA\n-----END QRES PRIVATE KEY-----\n".to_owned()),
        ("public.txt", format!("{good}\n")),
    ] {
        std::fs::write(d.join(name), content).unwrap();
        let out = qres(d).args(["decrypt", "-i", name, "m.txt"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = one_line_error(&out);
        // The key material never appears in the message.
        assert!(!err.contains("NOTAKEY"), "{err}");
        runs += 1;
    }
    for (name, bytes) in [
        ("not-a-file.enc", b"hello world".to_vec()),
        ("empty.enc", Vec::new()),
        ("bad-qres.enc", b"qres-env\x01garbage".to_vec()),
        ("bad-age.enc", b"age-encryption.org/v1\n-> X25519\n--- x\n".to_vec()),
        ("bad-armor.enc", b"-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n-----END AGE ENCRYPTED FILE-----\n".to_vec()),
    ] {
        std::fs::write(d.join(name), bytes).unwrap();
        let out = qres(d).args(["decrypt", "-i", "k.txt", "-i", "a.txt", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        one_line_error(&out);
        let out = qres(d).args(["inspect", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "inspect {name}");
        one_line_error(&out);
        runs += 2;
    }
    // Mixed formats and impossible combinations are usage errors.
    for args in [
        vec!["encrypt", "-r", good.as_str(), "-r", good_age.as_str(), "m.txt"],
        vec!["encrypt", "-p", "-r", good_age.as_str(), "m.txt"],
        vec!["encrypt", "m.txt"],
        vec!["encrypt", "-r", good.as_str(), "-r", good.as_str(), "m.txt"],
        vec!["encrypt", "--format", "qres", "-r", good_age.as_str(), "m.txt"],
        vec!["encrypt", "--sign", "k.txt", "-r", good_age.as_str(), "m.txt"],
    ] {
        let out = qres(d).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        one_line_error(&out);
        runs += 1;
    }
    println!("malformed inputs refused with one line: {runs}");
    assert_eq!(runs, 28);
}

#[test]
fn help_man_page_completions_and_random() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["keygen", "encrypt", "decrypt", "inspect", "sign", "verify", "random", "keyset"] {
        let out = qres(d).args([sub, "--help"]).output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("Example"), "{sub} --help has no example");
    }
    let help = qres(d).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit status"));
    let man = qres(d).arg("man").output().unwrap();
    assert!(String::from_utf8_lossy(&man.stdout).contains(".TH qres"));
    let bash = qres(d).args(["completions", "bash"]).output().unwrap();
    assert!(String::from_utf8_lossy(&bash.stdout).contains("_qres"));
    let out = qres(d).args(["random", "-n", "32", "--hex"]).output().unwrap();
    let hex = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
    let raw = qres(d).args(["random", "-n", "100000"]).output().unwrap();
    assert_eq!(raw.stdout.len(), 100_000);
}

#[test]
fn a_keyset_rotates_across_invocations_and_old_envelopes_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m.txt"), b"kept across rotations").unwrap();
    let pass = "store pass\n";
    let (code, shown) = on_terminal(d, "keyset --store ks new mail", "store pass\nstore pass\n");
    assert_eq!(code, 0, "{shown}");
    let v1 = shown.lines().last().unwrap().trim().to_owned();
    assert!(v1.starts_with("qrespk-x-wing1"), "{shown}");
    qres(d).args(["encrypt", "-r", &v1, "-o", "old.qres", "m.txt"]).assert().success();
    let (code, _) = on_terminal(d, "keyset --store ks rotate mail", pass);
    assert_eq!(code, 0);
    let (_, shown) = on_terminal(d, "keyset --store ks public mail", pass);
    let v2 = shown.lines().last().unwrap().trim().to_owned();
    assert_ne!(v1, v2, "rotation must change the primary");
    qres(d).args(["encrypt", "-r", &v2, "-o", "new.qres", "m.txt"]).assert().success();
    for file in ["old.qres", "new.qres"] {
        let (code, shown) = on_terminal(d, &format!("decrypt --store ks --keyset mail {file}"), pass);
        assert_eq!(code, 0, "{file}: {shown}");
        assert!(shown.contains("kept across rotations"), "{file}");
    }
    let (_, listed) = on_terminal(d, "keyset --store ks list mail", pass);
    assert!(listed.contains("version 1: enabled") && listed.contains("version 2 (primary): enabled"), "{listed}");
    // Disabling version 1 stops the old envelope; enabling restores it; destroying ends it for good.
    assert_eq!(on_terminal(d, "keyset --store ks disable mail 1", pass).0, 0);
    assert_eq!(on_terminal(d, "decrypt --store ks --keyset mail -o o1 old.qres", pass).0, 1);
    assert_eq!(on_terminal(d, "keyset --store ks enable mail 1", pass).0, 0);
    assert_eq!(on_terminal(d, "decrypt --store ks --keyset mail -o o2 old.qres", pass).0, 0);
    assert_eq!(on_terminal(d, "keyset --store ks destroy mail 1", pass).0, 0);
    assert_eq!(on_terminal(d, "decrypt --store ks --keyset mail -o o3 old.qres", pass).0, 1);
    assert!(!d.join("o3").exists());
    assert_eq!(on_terminal(d, "decrypt --store ks --keyset mail -o o4 new.qres", pass).0, 0);
    // A wrong store passphrase opens nothing.
    assert_eq!(on_terminal(d, "keyset --store ks list mail", "wrong\n").0, 1);
}

#[test]
fn entropy_assess_reports_the_sp800_90b_estimates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A constant file has no entropy; a counter mod 4 in 2-bit samples has little.
    std::fs::write(d.join("constant.bin"), vec![7u8; 20_000]).unwrap();
    let out = qres(d).args(["entropy", "assess", "--json", "constant.bin"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"min_entropy\":0"), "{text}");
    let noise: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(d.join("noise.bin"), noise).unwrap();
    let out = qres(d).args(["entropy", "assess", "--bits-per-sample", "8", "noise.bin"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Most Common Value") || text.contains("MCV") || text.contains("min-entropy:"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("min-entropy: ")), "{text}");
    let bad = qres(d).args(["entropy", "assess", "--bits-per-sample", "9", "noise.bin"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
