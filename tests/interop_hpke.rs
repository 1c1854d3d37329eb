//! Interoperability with the `hpke` crate (rust-hpke): messages sealed by qres open there and messages it
//! seals open in qres, for X-Wing + HKDF-SHA256 + AES-256-GCM (qres's default suite), ML-KEM-768 and
//! DHKEM(X25519) suites, in base and PSK modes, with matching exporter outputs.

use hpke::aead::{AesGcm256, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::{MlKem768, X25519HkdfSha256, XWing};
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, PskBundle, Serializable};
use qres::hpke::{Psk, ReceiverParams, SenderParams, Suite};
use qres::{AeadId, KdfId, KemId, OsRng, default_provider};

const PSK: &[u8] = b"a pre-shared key of at least 32 bytes, for PSK mode";
const PSK_ID: &[u8] = b"psk-1";

fn random(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    getrandom::fill(&mut v).unwrap();
    v
}

macro_rules! interop {
    ($name:ident, $kem:ty, $aead:ty, $kem_id:expr, $aead_id:expr) => {
        #[test]
        fn $name() {
            let p = default_provider();
            let suite = Suite::from_ids(&p, $kem_id, KdfId::HKDF_SHA256, $aead_id).unwrap();
            for round in 0..40 {
                let psk_mode = round % 2 == 1;
                let ikm = random(64);
                // Both libraries derive the same key pair from the same input keying material.
                let (their_sk, their_pk) = <$kem>::derive_keypair(&ikm);
                let ours = suite.derive_key_pair(&ikm).unwrap();
                assert_eq!(ours.public_key().as_bytes(), &their_pk.to_bytes()[..], "DeriveKeyPair differs");
                let pk = suite.kem().parse_public_key(&their_pk.to_bytes()).unwrap();
                let info = random(round);
                let aad = random(round * 3 % 17);
                let msg = random(round * 37);
                let psk = Psk { key: PSK, id: PSK_ID };
                let bundle = PskBundle::new(PSK, PSK_ID).unwrap();
                let (mode_s, mode_r) = if psk_mode {
                    (OpModeS::<$kem>::Psk(bundle), OpModeR::<$kem>::Psk(bundle))
                } else {
                    (OpModeS::Base, OpModeR::Base)
                };
                let sender = SenderParams { info: &info, psk: psk_mode.then_some(psk), sender_key: None };
                let receiver = ReceiverParams { info: &info, psk: psk_mode.then_some(psk), sender_public: None };

                // qres -> hpke
                let (enc, mut ctx) = suite.setup_sender(&pk, &sender, &mut OsRng).unwrap();
                let ct = ctx.seal(&aad, &msg).unwrap();
                let their_enc = <$kem as hpke::Kem>::EncappedKey::from_bytes(&enc).unwrap();
                let mut their_ctx =
                    hpke::setup_receiver::<$aead, HkdfSha256, $kem>(&mode_r, &their_sk, &their_enc, &info).unwrap();
                assert_eq!(their_ctx.open(&ct, &aad).unwrap(), msg, "hpke could not open qres's message");
                let mut theirs = [0u8; 32];
                their_ctx.export(b"exporter", &mut theirs).unwrap();
                assert_eq!(ctx.export(b"exporter", 32).unwrap().as_bytes(), &theirs);

                // hpke -> qres
                let (their_enc, their_ct) =
                    hpke::single_shot_seal::<$aead, HkdfSha256, $kem>(&mode_s, &their_pk, &info, &msg, &aad).unwrap();
                let opened = suite.open(&their_enc.to_bytes(), &ours, &receiver, &aad, &their_ct).unwrap();
                assert_eq!(opened, msg, "qres could not open hpke's message");
            }
        }
    };
}

interop!(x_wing_hkdf_sha256_aes_256_gcm, XWing, AesGcm256, KemId::X_WING, AeadId::AES_256_GCM);
interop!(ml_kem_768_hkdf_sha256_aes_256_gcm, MlKem768, AesGcm256, KemId::ML_KEM_768, AeadId::AES_256_GCM);
interop!(
    x25519_hkdf_sha256_chacha20_poly1305,
    X25519HkdfSha256,
    ChaCha20Poly1305,
    KemId::DHKEM_X25519_HKDF_SHA256,
    AeadId::CHACHA20_POLY1305
);
