//! The ecosystem adapters against qres's own API: RustCrypto's `kem` 0.3 and `aead` 0.6 traits
//! (feature `rustcrypto-traits`), the rand_core 0.6 / 0.9 adapters (`rand_core-0_6`, `rand_core-0_9`)
//! and rustls' `SecureRandom` (`rustls-random`). Each part runs when its feature is on.

// Helpers used by whichever parts the features enable.
#![allow(dead_code)]

/// A rand_core 0.10 RNG that records every byte the wrapped one hands out, to show that a consumer's
/// bytes came from it.
struct Recorder<R> {
    inner: R,
    draws: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl<R> Recorder<R> {
    fn new(inner: R) -> Self {
        Self { inner, draws: Default::default() }
    }

    fn bytes(&self) -> Vec<u8> {
        self.draws.lock().unwrap().concat()
    }
}

impl<R: rand_core::TryRng> rand_core::TryRng for Recorder<R> {
    type Error = R::Error;

    fn try_next_u32(&mut self) -> Result<u32, R::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, R::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), R::Error> {
        self.inner.try_fill_bytes(dest)?;
        self.draws.lock().unwrap().push(dest.to_vec());
        Ok(())
    }
}

impl<R: rand_core::TryCryptoRng> rand_core::TryCryptoRng for Recorder<R> {}

/// An RNG that always fails.
struct Failing;

#[derive(Debug)]
struct Broken;

impl core::fmt::Display for Broken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("broken")
    }
}

impl core::error::Error for Broken {}

impl rand_core::TryRng for Failing {
    type Error = Broken;
    fn try_next_u32(&mut self) -> Result<u32, Broken> {
        Err(Broken)
    }
    fn try_next_u64(&mut self) -> Result<u64, Broken> {
        Err(Broken)
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Broken> {
        Err(Broken)
    }
}

impl rand_core::TryCryptoRng for Failing {}

#[cfg(feature = "rustcrypto-traits")]
mod kem_traits {
    use kem::{Decapsulator, Encapsulate, FromSeed, Generate, KeyExport, TryDecapsulate, TryKeyInit};
    use qres::rustcrypto::{DecapsulationKey, EncapsulationKey, KemAlgorithm, MlKem512, MlKem768, MlKem1024, XWing};
    use qres::{Error, KemId, OsRng, default_provider};
    use rand_chacha::ChaCha20Rng;
    use rand_core::{SeedableRng, UnwrapErr};

    fn trait_and_qres_agree<A: KemAlgorithm>() {
        let kem = default_provider().kem(A::ID).unwrap();
        let sk = kem.generate(&mut OsRng).unwrap();

        // Encapsulate through the trait, decapsulate with qres.
        let ek = EncapsulationKey::<A>::try_from(sk.public_key().clone()).unwrap();
        let (ct, k) = ek.encapsulate_with_rng(&mut UnwrapErr(OsRng));
        assert_eq!(ct.len(), kem.sizes().ciphertext, "{}", A::ID);
        assert_eq!(sk.decapsulate(&ct).unwrap().as_bytes(), &k[..], "{}", A::ID);

        // Encapsulate with qres, decapsulate through the trait.
        let enc = sk.public_key().encapsulate(&mut OsRng).unwrap();
        let dk = DecapsulationKey::<A>::try_from(sk).unwrap();
        let k = dk.try_decapsulate_slice(&enc.ciphertext).unwrap();
        assert_eq!(&k[..], enc.shared_secret.as_bytes(), "{}", A::ID);
        assert_eq!(dk.encapsulation_key(), &ek);

        // A modified ciphertext is implicitly rejected: another key, no error.
        let mut tampered = enc.ciphertext.clone();
        tampered[0] ^= 1;
        assert_ne!(dk.try_decapsulate_slice(&tampered).unwrap(), k, "{}", A::ID);
        // A slice of another length is an error.
        assert!(matches!(dk.try_decapsulate_slice(&enc.ciphertext[1..]), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn kem_traits_round_trip_with_qres_in_both_directions() {
        trait_and_qres_agree::<MlKem512>();
        trait_and_qres_agree::<MlKem768>();
        trait_and_qres_agree::<MlKem1024>();
        trait_and_qres_agree::<XWing>();
    }

    #[test]
    fn kem_wrappers_refuse_keys_of_another_algorithm() {
        let p = default_provider();
        let ml512 = p.kem(KemId::ML_KEM_512).unwrap().generate(&mut OsRng).unwrap();
        let xwing = p.kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap();
        assert!(matches!(
            EncapsulationKey::<MlKem768>::try_from(ml512.public_key().clone()),
            Err(Error::InvalidKey { .. })
        ));
        assert!(EncapsulationKey::<MlKem512>::try_from(xwing.public_key().clone()).is_err());
        assert!(matches!(DecapsulationKey::<XWing>::try_from(ml512), Err(Error::InvalidKey { .. })));
        assert!(DecapsulationKey::<MlKem1024>::try_from(xwing).is_err());
    }

    #[test]
    fn kem_key_encodings_and_seeds_match_qres() {
        let kem = default_provider().kem(KemId::ML_KEM_768).unwrap();
        let seed = [5u8; 64];
        let sk = kem.key_pair_from_seed(&seed).unwrap();

        // TryKeyInit parses (with the FIPS 203 checks), KeyExport gives the same bytes back.
        let ek = EncapsulationKey::<MlKem768>::new_from_slice(sk.public_key().as_bytes()).unwrap();
        assert_eq!(&ek.to_bytes()[..], sk.public_key().as_bytes());
        assert!(EncapsulationKey::<MlKem768>::new_from_slice(&[0xff; 1184]).is_err(), "coefficients >= q");
        assert!(EncapsulationKey::<MlKem768>::new_from_slice(&[0; 1183]).is_err(), "short");

        // FromSeed (through KeyInit) derives the key pair qres derives.
        let (dk, ek) = MlKem768::from_seed(&seed.into());
        assert_eq!(ek.as_qres(), sk.public_key());
        assert_eq!(dk.as_qres().seed().unwrap().as_bytes(), &seed);

        // Generate draws the seed from the RNG exactly as qres's `generate` does.
        let a = DecapsulationKey::<XWing>::generate_from_rng(&mut ChaCha20Rng::from_seed([1; 32]));
        let b = default_provider().kem(KemId::X_WING).unwrap().generate(&mut ChaCha20Rng::from_seed([1; 32])).unwrap();
        let c = DecapsulationKey::<XWing>::generate_from_rng(&mut ChaCha20Rng::from_seed([2; 32]));
        assert_eq!(a.as_qres().public_key(), b.public_key());
        assert_ne!(a.as_qres().public_key(), c.as_qres().public_key());
        // A failing RNG's error comes back unchanged.
        assert!(matches!(DecapsulationKey::<XWing>::try_generate_from_rng(&mut super::Failing), Err(super::Broken)));
    }

    /// A wrapped key keeps the implementation it came from: aws-lc's ML-KEM through the traits, checked
    /// against the default backend's decapsulation of the same seed.
    #[cfg(feature = "aws-lc")]
    #[test]
    fn kem_traits_over_an_aws_lc_key() {
        let seed = [8u8; 64];
        let aws = qres::backend::aws_lc::provider().kem(KemId::ML_KEM_768).unwrap();
        let ours = default_provider().kem(KemId::ML_KEM_768).unwrap().key_pair_from_seed(&seed).unwrap();
        let ek = EncapsulationKey::<MlKem768>::try_from(aws.parse_public_key(ours.public_key().as_bytes()).unwrap())
            .unwrap();
        assert_eq!(ek.as_qres().kem().implementation(), aws.implementation());
        assert_ne!(aws.implementation(), ours.kem().implementation());
        let (ct, k) = ek.encapsulate_with_rng(&mut UnwrapErr(OsRng));
        assert_eq!(ours.decapsulate(&ct).unwrap().as_bytes(), &k[..]);
    }

    #[test]
    fn kem_wrappers_debug_shows_no_secret() {
        let kem = default_provider().kem(KemId::X_WING).unwrap();
        let seed = [0xabu8; 32];
        let dk = DecapsulationKey::<XWing>::try_from(kem.key_pair_from_seed(&seed).unwrap()).unwrap();
        let shown = format!("{dk:?}");
        assert!(shown.contains("redacted") && !shown.contains("171") && !shown.contains("ab, ab"), "{shown}");
    }
}

#[cfg(feature = "rustcrypto-traits")]
mod aead_traits {
    use aead::inout::InOutBuf;
    use aead::{Aead, AeadInOut, KeyInit, Payload};
    use qres::rustcrypto::{
        AeadAlgorithm, Aes128Gcm, Aes128GcmKey, Aes256Gcm, Aes256GcmKey, ChaCha20Poly1305, TypedAeadKey,
    };
    use qres::{AeadId, Error, default_provider};

    fn trait_and_qres_agree<A: AeadAlgorithm>() {
        let aead = default_provider().aead(A::ID).unwrap();
        let raw = vec![0x42u8; aead.key_len()];
        let key = TypedAeadKey::<A>::try_from(aead.new_key(&raw).unwrap()).unwrap();
        let nonce = aead::Nonce::<TypedAeadKey<A>>::try_from(&[9u8; 12][..]).unwrap();
        let msg = Payload { msg: b"attack at dawn", aad: b"header" };

        // Seal through the trait, open with qres's raw-nonce form.
        let ct = key.encrypt(&nonce, msg).unwrap();
        assert_eq!(ct.len(), 14 + 16);
        assert_eq!(key.as_qres().open_with_nonce(&nonce, b"header", &ct).unwrap(), b"attack at dawn", "{}", A::ID);

        // Seal with qres, open through the trait; any change is the opaque aead::Error.
        let ct = key.as_qres().seal_with_nonce(&nonce, b"header", b"retreat").unwrap();
        assert_eq!(key.decrypt(&nonce, Payload { msg: &ct, aad: b"header" }).unwrap(), b"retreat");
        assert_eq!(key.decrypt(&nonce, Payload { msg: &ct, aad: b"other" }), Err(aead::Error));
        let mut bad = ct.clone();
        bad[3] ^= 0x80;
        assert_eq!(key.decrypt(&nonce, Payload { msg: &bad, aad: b"header" }), Err(aead::Error));
        assert_eq!(key.decrypt(&nonce, Payload { msg: &ct[..15], aad: b"header" }), Err(aead::Error));

        // Detached, separate input and output buffers: same ciphertext and tag as qres's detached form.
        let plaintext = *b"sixteen byte msg and more";
        let mut out = [0u8; 25];
        let tag = key.encrypt_inout_detached(&nonce, b"", InOutBuf::new(&plaintext, &mut out).unwrap()).unwrap();
        let mut qres_ct = plaintext;
        let mut qres_tag = [0u8; 16];
        key.as_qres().seal_in_place_detached_with_nonce(&nonce, b"", &mut qres_ct, &mut qres_tag).unwrap();
        assert_eq!((out, &tag[..]), (qres_ct, &qres_tag[..]));
        // A wrong tag: error, and the buffer is zeroed rather than left with unauthenticated plaintext.
        let mut wrong = tag.clone();
        wrong[0] ^= 1;
        let mut buf = out;
        assert_eq!(key.decrypt_inout_detached(&nonce, b"", (&mut buf[..]).into(), &wrong), Err(aead::Error));
        assert_eq!(buf, [0u8; 25]);
        let mut buf = out;
        key.decrypt_inout_detached(&nonce, b"", (&mut buf[..]).into(), &tag).unwrap();
        assert_eq!(buf, plaintext);

        // KeyInit makes the same key as qres's provider.
        let again = TypedAeadKey::<A>::new_from_slice(&raw).unwrap();
        assert_eq!(again.encrypt(&nonce, b"x".as_slice()).unwrap(), key.encrypt(&nonce, b"x".as_slice()).unwrap());
        assert!(TypedAeadKey::<A>::new_from_slice(&raw[1..]).is_err());
    }

    #[test]
    fn aead_traits_round_trip_with_qres_in_both_directions() {
        trait_and_qres_agree::<Aes128Gcm>();
        trait_and_qres_agree::<Aes256Gcm>();
        trait_and_qres_agree::<ChaCha20Poly1305>();
    }

    #[test]
    fn aead_wrappers_refuse_keys_of_another_algorithm() {
        let p = default_provider();
        let key = |id: AeadId| {
            let aead = p.aead(id).unwrap();
            aead.new_key(&vec![1u8; aead.key_len()]).unwrap()
        };
        assert!(matches!(Aes256GcmKey::from_qres(key(AeadId::AES_128_GCM)), Err(Error::InvalidKey { .. })));
        assert!(Aes128GcmKey::from_qres(key(AeadId::AES_256_GCM)).is_err());
        assert!(Aes256GcmKey::from_qres(key(AeadId::CHACHA20_POLY1305)).is_err());
        assert!(TypedAeadKey::<ChaCha20Poly1305>::from_qres(key(AeadId::AES_256_GCM)).is_err());
        // The padded legacy scheme has no wrapper at all.
        let cbc = key(AeadId::AES_256_CBC_HMAC_SHA256);
        assert!(Aes256GcmKey::from_qres(cbc).is_err());
        // The right algorithm is accepted and given back.
        assert_eq!(
            Aes256GcmKey::from_qres(key(AeadId::AES_256_GCM)).unwrap().into_qres().algorithm(),
            AeadId::AES_256_GCM
        );
    }

    #[test]
    fn aead_wrapper_debug_shows_no_key() {
        let key = Aes256GcmKey::new_from_slice(&[0x5au8; 32]).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("redacted") && !shown.contains("90"), "{shown}");
    }
}

#[cfg(feature = "rand_core-0_6")]
mod rand_core_06 {
    use super::{Failing, Recorder};
    use ed25519_dalek::{Signer, SigningKey, Verifier};
    use qres::rng::CtrDrbg;
    use qres::rng::compat::RandCore06;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn ed25519_dalek_2_generates_from_the_drbg_bytes() {
        let mut rng = RandCore06(Recorder::new(CtrDrbg::from_os().unwrap()));
        let key = SigningKey::generate(&mut rng);
        // The secret key is the 32 bytes the DRBG handed out, nothing else.
        assert_eq!(rng.0.bytes(), key.to_bytes());
        let sig = key.sign(b"message");
        key.verifying_key().verify(b"message", &sig).unwrap();

        // Same seed, same key: the adapter adds nothing of its own.
        let a = SigningKey::generate(&mut RandCore06(ChaCha20Rng::from_seed([3; 32])));
        let b = SigningKey::generate(&mut RandCore06(ChaCha20Rng::from_seed([3; 32])));
        let c = SigningKey::generate(&mut RandCore06(ChaCha20Rng::from_seed([4; 32])));
        assert_eq!(a.to_bytes(), b.to_bytes());
        assert_ne!(a.to_bytes(), c.to_bytes());
    }

    #[test]
    fn rand_0_8_gen_and_fill_draw_from_the_drbg() {
        use rand08::Rng;
        let mut rng = RandCore06(Recorder::new(CtrDrbg::from_os().unwrap()));
        let x: u64 = rng.r#gen();
        let mut buf = [0u8; 40];
        rng.fill(&mut buf[..]);
        let drawn = rng.0.bytes();
        assert_eq!(drawn.len(), 48);
        assert_eq!(x, u64::from_le_bytes(drawn[..8].try_into().unwrap()));
        assert_eq!(buf[..], drawn[8..]);
        assert!(rng.gen_range(10..20) >= 10);
    }

    #[test]
    fn rand_core_0_6_adapter_fails_closed() {
        use rand_core_06::RngCore;
        let mut buf = [7u8; 16];
        let err = RandCore06(Failing).try_fill_bytes(&mut buf).unwrap_err();
        assert_eq!(err.code().map(|c| c.get()), Some(RandCore06::<Failing>::ERROR_CODE));
        assert_eq!(buf, [0u8; 16], "no stale bytes left behind");
        let panicked = std::panic::catch_unwind(|| RandCore06(Failing).next_u64());
        let message = *panicked.unwrap_err().downcast::<&str>().unwrap();
        assert!(message.contains("fails closed") && !message.contains("broken"), "{message}");
    }
}

#[cfg(feature = "rand_core-0_9")]
mod rand_core_09 {
    use super::{Failing, Recorder};
    use qres::rng::CtrDrbg;
    use qres::rng::compat::RandCore09;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn rand_0_9_random_and_fill_draw_from_the_drbg() {
        use rand09::Rng;
        let mut rng = RandCore09(Recorder::new(CtrDrbg::from_os().unwrap()));
        let x: u64 = rng.random();
        let mut buf = [0u8; 24];
        rng.fill(&mut buf[..]);
        let drawn = rng.0.bytes();
        assert_eq!(x, u64::from_le_bytes(drawn[..8].try_into().unwrap()));
        assert_eq!(buf[..], drawn[8..32]);

        let a: [u8; 16] = RandCore09(ChaCha20Rng::from_seed([1; 32])).random();
        let b: [u8; 16] = RandCore09(ChaCha20Rng::from_seed([1; 32])).random();
        assert_eq!(a, b);
    }

    #[test]
    fn rand_core_0_9_adapter_fails_closed() {
        use rand_core_09::RngCore;
        let panicked = std::panic::catch_unwind(|| RandCore09(Failing).fill_bytes(&mut [0u8; 8]));
        let message = *panicked.unwrap_err().downcast::<&str>().unwrap();
        assert!(message.contains("fails closed"), "{message}");
    }
}

#[cfg(feature = "rustls-random")]
mod rustls_random {
    use super::{Failing, Recorder};
    use qres::rng::CtrDrbg;
    use qres::rng::compat::TlsRandom;
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
    use std::sync::Arc;

    /// Moves TLS records between the two ends in memory until neither has anything to send.
    fn pump(client: &mut ClientConnection, server: &mut ServerConnection) -> Vec<u8> {
        let mut first_flight = Vec::new();
        for _ in 0..20 {
            let mut moved = false;
            let mut buf = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut buf).unwrap();
            }
            if first_flight.is_empty() {
                first_flight = buf.clone();
            }
            if !buf.is_empty() {
                moved = true;
                server.read_tls(&mut &buf[..]).unwrap();
                server.process_new_packets().unwrap();
            }
            let mut buf = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut buf).unwrap();
            }
            if !buf.is_empty() {
                moved = true;
                client.read_tls(&mut &buf[..]).unwrap();
                client.process_new_packets().unwrap();
            }
            if !moved {
                break;
            }
        }
        first_flight
    }

    #[test]
    fn tls13_handshake_with_the_drbg_as_secure_random() {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
        let cert = cert.cert.der().clone();

        let recorder = Recorder::new(CtrDrbg::from_os().unwrap());
        let draws = recorder.draws.clone();
        let provider = Arc::new(TlsRandom::new(recorder).install_in(rustls::crypto::aws_lc_rs::default_provider()));

        let mut roots = RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        let client_config = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let server_config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let mut client =
            ClientConnection::new(Arc::new(client_config), ServerName::try_from("localhost").unwrap()).unwrap();
        let mut server = ServerConnection::new(Arc::new(server_config)).unwrap();

        let client_hello = pump(&mut client, &mut server);
        assert!(!client.is_handshaking() && !server.is_handshaking());
        assert_eq!(client.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));

        // The ClientHello's random is one of the DRBG's 32-byte draws.
        let draws = draws.lock().unwrap();
        let from_drbg = draws.iter().filter(|d| d.len() == 32).any(|d| client_hello.windows(32).any(|w| w == &d[..]));
        assert!(from_drbg, "the ClientHello random did not come from the DRBG ({} draws)", draws.len());
    }

    #[test]
    fn a_failing_rng_stops_the_handshake() {
        let provider = Arc::new(TlsRandom::new(Failing).install_in(rustls::crypto::aws_lc_rs::default_provider()));
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(RootCertStore::empty())
            .with_no_client_auth();
        let result = ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap());
        assert!(matches!(result, Err(rustls::Error::FailedToGetRandomBytes)), "{result:?}");

        let mut buf = [9u8; 8];
        let failing = TlsRandom::new(Failing);
        assert!(rustls::crypto::SecureRandom::fill(&failing, &mut buf).is_err());
        assert_eq!(buf, [0u8; 8]);
    }
}
