#!/usr/bin/env python3
"""Independent checker for the "qres envelope v1" format (FORMAT.md).

Written from FORMAT.md, RFC 9180 (HPKE), RFC 5869 (HKDF), FIPS 202/203/204,
draft-connolly-cfrg-xwing-kem (-05 and later) and draft-ietf-hpke-pq only.
It does not use or read the reference implementation.

For every vector in the vector directory it
  1. recomputes every intermediate value and the envelope from `inputs`
     (consuming `inputs.randomness` in the order `inputs.randomness_use` states),
     comparing byte for byte and reporting the first mismatch;
  2. parses the `envelope` bytes independently per FORMAT.md and opens it
     with each recipient's key derived from its seed, checking plaintext,
     QNE and (if signed) the ML-DSA sender signature;
  3. runs a few negative (tamper) checks of the reader rules.

Before that it self-tests the primitives (X-Wing, HPKE over ML-KEM/X-Wing)
against the public test vectors of the X-Wing draft and draft-ietf-hpke-pq
read from $QRES_VECTORS (default ../../../shared/vectors).

Every place where an interpretation had to be chosen that FORMAT.md does not
state is marked with "ASSUMPTION" in this file.

Usage: python check.py [VECTOR_DIR] [-v]
"""

import glob
import hashlib
import hmac as py_hmac
import json
import os
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives import serialization
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87
from kyber_py.ml_kem import ML_KEM_512, ML_KEM_768, ML_KEM_1024

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTOR_DIR = os.path.join(HERE, "..", "..", "tests", "vectors", "envelope")
# The public X-Wing and draft-ietf-hpke-pq vectors for the primitive self-tests are read from the shared
# vector directory (not copied into the repository), as the Rust tests do.
SHARED_VECTORS = os.environ.get("QRES_VECTORS") or os.path.join(HERE, "..", "..", "..", "shared", "vectors")

# ---------------------------------------------------------------------------
# Encoding helpers (FORMAT.md "Conventions": big-endian)


def u8(x):
    return struct.pack(">B", x)


def u16(x):
    return struct.pack(">H", x)


def u32(x):
    return struct.pack(">I", x)


def u64(x):
    return struct.pack(">Q", x)


def u88(x):
    return x.to_bytes(11, "big")


# ---------------------------------------------------------------------------
# KDF (HKDF per RFC 5869) over the header's kdf_id

KDFS = {
    0x0001: (hashes.SHA256, 32),
    0x0002: (hashes.SHA384, 48),
    0x0003: (hashes.SHA512, 64),
}


def hmac_digest(hash_cls, key, data):
    h = c_hmac.HMAC(key, hash_cls())
    h.update(data)
    return h.finalize()


def hkdf_extract(kdf_id, salt, ikm):
    hash_cls, nh = KDFS[kdf_id]
    if len(salt) == 0:
        salt = b"\x00" * nh  # RFC 5869 2.2: default salt is HashLen zeros
    return hmac_digest(hash_cls, salt, ikm)


def hkdf_expand(kdf_id, prk, info, length):
    hash_cls, _ = KDFS[kdf_id]
    return HKDFExpand(algorithm=hash_cls(), length=length, info=info).derive(prk)


def hmac_sha256(key, data):
    return hmac_digest(hashes.SHA256, key, data)


# ---------------------------------------------------------------------------
# AEADs

# HPKE AEAD ids (RFC 9180 7.3): id -> (Nk, Nn, Nt, class)
HPKE_AEADS = {
    0x0001: (16, 12, 16, AESGCM),
    0x0002: (32, 12, 16, AESGCM),
    0x0003: (32, 12, 16, ChaCha20Poly1305),
}

# payload AEAD ids (FORMAT.md header table): id -> (Nk, class or None for legacy)
PAYLOAD_AEADS = {
    0x0002: (32, AESGCM),
    0x0003: (32, ChaCha20Poly1305),
    0xFE01: (64, None),  # legacy AES-256-CBC-HMAC-SHA256
}


def aead_seal(cls, key, nonce, aad, pt):
    return cls(key).encrypt(nonce, pt, aad)


def aead_open(cls, key, nonce, aad, ct):
    return cls(key).decrypt(nonce, ct, aad)


# ---------------------------------------------------------------------------
# KEMs

ML_KEMS = {0x0040: ML_KEM_512, 0x0041: ML_KEM_768, 0x0042: ML_KEM_1024}
XWING_ID = 0x647A

# Nenc, Npk (draft-ietf-hpke-pq IANA tables; FORMAT.md header table for enc_len)
KEM_SIZES = {
    0x0040: (768, 800),
    0x0041: (1088, 1184),
    0x0042: (1568, 1568),
    XWING_ID: (1120, 1216),
}

# X-Wing, draft-connolly-cfrg-xwing-kem-05 .. -10 (label last, SHAKE256 seed
# expansion).  ASSUMPTION: FORMAT.md cites the draft without a version; drafts
# -03/-04 used SHAKE128 and put the label first.
XWING_LABEL = bytes.fromhex("5c2e2f2f5e5c")  # "\./" "/^\"


def x25519(scalar, point):
    return X25519PrivateKey.from_private_bytes(scalar).exchange(
        X25519PublicKey.from_public_bytes(point)
    )


def x25519_base(scalar):
    return (
        X25519PrivateKey.from_private_bytes(scalar)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def xwing_expand(sk):
    assert len(sk) == 32
    expanded = hashlib.shake_256(sk).digest(96)
    pk_m, sk_m = ML_KEM_768._keygen_internal(expanded[0:32], expanded[32:64])
    sk_x = expanded[64:96]
    pk_x = x25519_base(sk_x)
    return sk_m, sk_x, pk_m, pk_x


def xwing_combiner(ss_m, ss_x, ct_x, pk_x):
    return hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + XWING_LABEL).digest()


def xwing_encaps_derand(pk, eseed):
    assert len(pk) == 1216 and len(eseed) == 64
    pk_m, pk_x = pk[:1184], pk[1184:]
    ek_x = eseed[32:64]
    ct_x = x25519_base(ek_x)
    ss_x = x25519(ek_x, pk_x)
    ss_m, ct_m = ML_KEM_768._encaps_internal(pk_m, eseed[0:32])
    return xwing_combiner(ss_m, ss_x, ct_x, pk_x), ct_m + ct_x


def xwing_decaps(sk, ct):
    assert len(ct) == 1120
    sk_m, sk_x, _pk_m, pk_x = xwing_expand(sk)
    ct_m, ct_x = ct[:1088], ct[1088:]
    ss_m = ML_KEM_768.decaps(sk_m, ct_m)
    ss_x = x25519(sk_x, ct_x)
    # FORMAT.md, "X25519 shares": an all-zero share is refused (OpenSSL refuses it too; said here so the
    # rule does not rest on the library).
    if ss_x == bytes(32):
        raise ValueError("X-Wing: all-zero X25519 shared secret")
    return xwing_combiner(ss_m, ss_x, ct_x, pk_x)


def kem_public_from_seed(kem_id, seed):
    """ASSUMPTION: the vectors' recipient `seed` is the HPKE private key in the
    seed format of draft-ietf-hpke-pq / the X-Wing draft: X-Wing: the 32-byte
    decapsulation key; ML-KEM: dk = d || z (64 bytes, FIPS 203 KeyGen_internal(d, z)).
    FORMAT.md does not define private keys or seeds at all."""
    if kem_id == XWING_ID:
        _sk_m, _sk_x, pk_m, pk_x = xwing_expand(seed)
        return pk_m + pk_x
    ek, _dk = ML_KEMS[kem_id]._keygen_internal(seed[:32], seed[32:64])
    return ek


def kem_encaps_randomness_len(kem_id):
    return 64 if kem_id == XWING_ID else 32


def kem_encaps_derand(kem_id, pk, ikm_e):
    """ASSUMPTION: the recorded per-stanza randomness ("ikmE") is the
    derandomised-encapsulation input, not an RFC 9180 DeriveKeyPair ikm:
    X-Wing: eseed of EncapsulateDerand (eseed[0:32] = ML-KEM m, eseed[32:64] =
    X25519 ephemeral scalar); ML-KEM: m of FIPS 203 ML-KEM.Encaps_internal(ek, m).
    Returns (shared_secret, enc)."""
    if kem_id == XWING_ID:
        return xwing_encaps_derand(pk, ikm_e)
    ss, ct = ML_KEMS[kem_id]._encaps_internal(pk, ikm_e)
    return ss, ct


def kem_decaps(kem_id, seed, enc):
    if kem_id == XWING_ID:
        return xwing_decaps(seed, enc)
    kem = ML_KEMS[kem_id]
    _ek, dk = kem._keygen_internal(seed[:32], seed[32:64])
    return kem.decaps(dk, enc)


# ---------------------------------------------------------------------------
# HPKE (RFC 9180), base mode, single shot, for KEMs whose Encap/Decap return
# the shared secret directly (ML-KEM, X-Wing per draft-ietf-hpke-pq).


def hpke_suite_id(kem_id, kdf_id, aead_id):
    return b"HPKE" + u16(kem_id) + u16(kdf_id) + u16(aead_id)


def labeled_extract(kdf_id, suite_id, salt, label, ikm):
    return hkdf_extract(kdf_id, salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(kdf_id, suite_id, prk, label, info, length):
    labeled_info = u16(length) + b"HPKE-v1" + suite_id + label + info
    return hkdf_expand(kdf_id, prk, labeled_info, length)


def hpke_key_schedule_base(kem_id, kdf_id, aead_id, shared_secret, info):
    suite_id = hpke_suite_id(kem_id, kdf_id, aead_id)
    nk, nn, _nt, _cls = HPKE_AEADS[aead_id]
    nh = KDFS[kdf_id][1]
    mode = 0x00
    psk = b""
    psk_id = b""
    psk_id_hash = labeled_extract(kdf_id, suite_id, b"", b"psk_id_hash", psk_id)
    info_hash = labeled_extract(kdf_id, suite_id, b"", b"info_hash", info)
    ksc = u8(mode) + psk_id_hash + info_hash
    secret = labeled_extract(kdf_id, suite_id, shared_secret, b"secret", psk)
    key = labeled_expand(kdf_id, suite_id, secret, b"key", ksc, nk)
    base_nonce = labeled_expand(kdf_id, suite_id, secret, b"base_nonce", ksc, nn)
    exporter_secret = labeled_expand(kdf_id, suite_id, secret, b"exp", ksc, nh)
    return key, base_nonce, exporter_secret


def hpke_seal_base_derand(kem_id, kdf_id, aead_id, pk, ikm_e, info, aad, pt):
    ss, enc = kem_encaps_derand(kem_id, pk, ikm_e)
    key, base_nonce, exp = hpke_key_schedule_base(kem_id, kdf_id, aead_id, ss, info)
    # first (and only) message: seq = 0, nonce = base_nonce XOR I2OSP(0, Nn)
    ct = aead_seal(HPKE_AEADS[aead_id][3], key, base_nonce, aad, pt)
    return dict(ss=ss, enc=enc, key=key, base_nonce=base_nonce, exp=exp, ct=ct)


def hpke_open_base(kem_id, kdf_id, aead_id, seed, enc, info, aad, ct):
    ss = kem_decaps(kem_id, seed, enc)
    key, base_nonce, _exp = hpke_key_schedule_base(kem_id, kdf_id, aead_id, ss, info)
    return aead_open(HPKE_AEADS[aead_id][3], key, base_nonce, aad, ct)


# ---------------------------------------------------------------------------
# ML-DSA (FIPS 204)

ML_DSAS = {0x0904: (ML_DSA_44, 2420), 0x0905: (ML_DSA_65, 3309), 0x0906: (ML_DSA_87, 4627)}
SIG_CTX = b"qres envelope v1 sender"


def mldsa_sign_hedged(alg, sk, msg, ctx, rnd):
    # FIPS 204 Algorithm 2 (pure ML-DSA.Sign): M' = IntegerToBytes(0,1) ||
    # IntegerToBytes(|ctx|,1) || ctx || M, then ML-DSA.Sign_internal(sk, M', rnd)
    m_prime = b"\x00" + bytes([len(ctx)]) + ctx + msg
    return alg._sign_internal(sk, m_prime, rnd)


def mldsa_verify(alg, pk, msg, ctx, sig):
    return alg.verify(pk, msg, sig, ctx=ctx)


# ---------------------------------------------------------------------------
# Format constants and helpers

MAGIC = b"qres-env"
VERSION = 0x01
FLAG_STREAMED = 0x01
FLAG_SIGNED = 0x02
MAX_HEADER = 1 << 20
HPKE_INFO = b"qres envelope v1 file key"
PRK_SALT = b"qres envelope v1"
KEYID_LABEL = b"qres key id v1"


def key_id(family, alg_id, pk):
    return hashlib.sha3_256(KEYID_LABEL + u8(family) + u16(alg_id) + u32(len(pk)) + pk).digest()[:16]


def chunk_nonce(i, last):
    return u88(i) + (b"\x01" if last else b"\x00")


def derive_prk(kdf_id, file_key):
    # ASSUMPTION: "the suite's KDF" = the header's kdf_id (also for prk, mac_key,
    # payload_key, legacy iv).  All vectors use kdf_id 1, so this is untested.
    return hkdf_extract(kdf_id, PRK_SALT, file_key)


def payload_key_len(payload_aead_id):
    return PAYLOAD_AEADS[payload_aead_id][0]


def legacy_iv(kdf_id, prk, header_digest):
    return hkdf_expand(kdf_id, prk, b"legacy iv" + header_digest, 16)


def legacy_seal(payload_key, iv, header_digest, plaintext):
    enc_key, mac_key = payload_key[:32], payload_key[32:64]
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    e = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor()
    ct = e.update(padded) + e.finalize()
    tag = hmac_sha256(mac_key, u64(16) + iv + u64(len(ct)) + ct + u64(32) + header_digest)
    return ct + tag


class AuthFailure(Exception):
    """All authentication failures (FORMAT.md: reported identically)."""


class NotEnvelope(Exception):
    pass


class Armored(NotEnvelope):
    """The input is an ASCII-armored envelope given to a binary reader."""


class Unsupported(Exception):
    pass


class UnsupportedVersion(Unsupported):
    pass


class UnsupportedAlgorithm(Unsupported):
    """An id outside the format's table for its position (FORMAT.md rule 2)."""


class NoMatchingKey(Exception):
    pass


class SenderSignatureMissing(Exception):
    pass


class SenderKeyMismatch(Exception):
    pass


class InvalidKey(Exception):
    pass


# FORMAT.md "X25519": encodings of the small-order points, top bit masked.
_P25519 = 2**255 - 19
X25519_LOW_ORDER = {
    (0).to_bytes(32, "little"),
    (1).to_bytes(32, "little"),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    (_P25519 - 1).to_bytes(32, "little"),
    _P25519.to_bytes(32, "little"),
    (_P25519 + 1).to_bytes(32, "little"),
}


def x25519_is_low_order(u):
    return (u[:31] + bytes([u[31] & 0x7F])) in X25519_LOW_ORDER


def check_public_key(kem_id, pk):
    """FORMAT.md "X25519": an X-Wing public key with a small-order X25519 part is refused."""
    nenc, npk = KEM_SIZES[kem_id]
    if len(pk) != npk:
        raise InvalidKey("public key length")
    if kem_id == XWING_ID and x25519_is_low_order(pk[1184:]):
        raise InvalidKey("X25519 part of small order")


def legacy_open(payload_key, iv, header_digest, payload):
    enc_key, mac_key = payload_key[:32], payload_key[32:64]
    if len(payload) < 32 + 16 or (len(payload) - 32) % 16 != 0:
        raise AuthFailure("legacy length")
    ct, tag = payload[:-32], payload[-32:]
    want = hmac_sha256(mac_key, u64(16) + iv + u64(len(ct)) + ct + u64(32) + header_digest)
    if not py_hmac.compare_digest(want, tag):
        raise AuthFailure("legacy tag")
    d = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).decryptor()
    padded = d.update(ct) + d.finalize()
    try:
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise AuthFailure("legacy padding")


# ---------------------------------------------------------------------------
# Writer: recompute everything from inputs


class Rand:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("randomness stream exhausted (need %d at offset %d of %d)" % (n, self.pos, len(self.data)))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


class Steps:
    def __init__(self):
        self.results = []  # (name, status, detail)

    def check(self, name, computed, expected_hex):
        if expected_hex is None:
            self.results.append((name, "N/A", "no value in vector"))
            return
        expected = bytes.fromhex(expected_hex)
        if computed == expected:
            self.results.append((name, "PASS", "%d bytes" % len(computed)))
        else:
            off = next((i for i in range(min(len(computed), len(expected))) if computed[i] != expected[i]),
                       min(len(computed), len(expected)))
            self.results.append((name, "FAIL", "computed %d bytes, vector %d bytes, first difference at byte %d"
                                 % (len(computed), len(expected), off)))

    def note(self, name, ok, detail=""):
        self.results.append((name, "PASS" if ok else "FAIL", detail))

    def first_fail(self):
        for r in self.results:
            if r[1] == "FAIL":
                return r
        return None


def recompute(vec):
    inp = vec["inputs"]
    iv_ = vec["intermediates"]
    st = Steps()
    kem_id, kdf_id = inp["kem_id"], inp["kdf_id"]
    hpke_aead_id, payload_aead_id = inp["hpke_aead_id"], inp["payload_aead_id"]
    streamed = bool(inp["streamed"])
    chunk_size = inp["chunk_size"]
    qne = bytes.fromhex(inp["qne"])
    plaintext = bytes.fromhex(inp["plaintext"])
    signer = inp.get("signer")
    rand = Rand(bytes.fromhex(inp["randomness"]))

    # randomness order (inputs.randomness_use): file_key (32), then each stanza's
    # ikmE (64 X-Wing / 32 ML-KEM), then ML-DSA rnd (32) when signed.
    file_key = rand.take(32)
    st.check("file_key", file_key, iv_.get("file_key"))

    stanzas = b""
    vec_stanzas = iv_.get("stanzas", [])
    if len(vec_stanzas) != len(inp["recipients"]):
        st.note("stanza count", False, "%d recipients, %d stanza intermediates" % (len(inp["recipients"]), len(vec_stanzas)))
    for i, r in enumerate(inp["recipients"]):
        p = "stanza[%d]." % i
        vs = vec_stanzas[i] if i < len(vec_stanzas) else {}
        seed = bytes.fromhex(r["seed"])
        pk = kem_public_from_seed(kem_id, seed)
        st.check(p + "public_key (from seed)", pk, r.get("public_key"))
        kid = key_id(0x01, kem_id, pk)
        st.check(p + "key_id", kid, r.get("key_id"))
        kver = r["key_version"]
        ikm_e = rand.take(kem_encaps_randomness_len(kem_id))
        st.check(p + "ikm_e", ikm_e, vs.get("ikm_e"))
        aad = kid + u32(kver)
        h = hpke_seal_base_derand(kem_id, kdf_id, hpke_aead_id, pk, ikm_e, HPKE_INFO, aad, file_key)
        st.check(p + "enc", h["enc"], vs.get("enc"))
        st.check(p + "kem_shared_secret", h["ss"], vs.get("kem_shared_secret"))
        st.check(p + "hpke_key", h["key"], vs.get("hpke_key"))
        st.check(p + "hpke_base_nonce", h["base_nonce"], vs.get("hpke_base_nonce"))
        st.check(p + "hpke_exporter_secret", h["exp"], vs.get("hpke_exporter_secret"))
        st.check(p + "wrapped_key", h["ct"], vs.get("wrapped_key"))
        stanzas += kid + u32(kver) + u16(len(h["enc"])) + h["enc"] + u16(len(h["ct"])) + h["ct"]

    flags = (FLAG_STREAMED if streamed else 0) | (FLAG_SIGNED if signer else 0)
    header_wo = (MAGIC + u8(VERSION) + u8(flags) + u16(kem_id) + u16(kdf_id) + u16(hpke_aead_id)
                 + u16(payload_aead_id) + u32(chunk_size if streamed else 0) + u16(len(qne)) + qne)
    sig_alg = None
    if signer:
        sig_alg = signer["sig_alg"]
        alg, sig_len = ML_DSAS[sig_alg]
        vk, sk = alg.key_derive(bytes.fromhex(signer["seed"]))
        st.check("signer.verifying_key (from seed)", vk, signer.get("verifying_key"))
        skid = key_id(0x02, sig_alg, vk)
        st.check("signer.key_id", skid, signer.get("key_id"))
        header_wo += u16(sig_alg) + skid
    header_wo += u16(len(inp["recipients"])) + stanzas
    st.check("header_without_mac", header_wo, iv_.get("header_without_mac"))

    prk = derive_prk(kdf_id, file_key)
    st.check("prk", prk, iv_.get("prk"))
    mac_key = hkdf_expand(kdf_id, prk, b"header mac", 32)
    st.check("mac_key", mac_key, iv_.get("mac_key"))
    header_mac = hmac_sha256(mac_key, header_wo)
    st.check("header_mac", header_mac, iv_.get("header_mac"))
    header = header_wo + header_mac
    header_digest = hashlib.sha256(header).digest()
    st.check("header_digest", header_digest, iv_.get("header_digest"))
    payload_key = hkdf_expand(kdf_id, prk, b"payload key" + header_digest, payload_key_len(payload_aead_id))
    st.check("payload_key", payload_key, iv_.get("payload_key"))

    # payload
    vchunks = iv_.get("chunks", [])
    chunks = []  # (index, last, nonce_or_iv, ciphertext)
    if payload_aead_id == 0xFE01:
        iv = legacy_iv(kdf_id, prk, header_digest)
        chunks.append((0, True, iv, legacy_seal(payload_key, iv, header_digest, plaintext)))
    else:
        cls = PAYLOAD_AEADS[payload_aead_id][1]
        if not streamed:
            n = chunk_nonce(0, True)
            chunks.append((0, True, n, aead_seal(cls, payload_key, n, header_digest, plaintext)))
        else:
            pieces = [plaintext[o:o + chunk_size] for o in range(0, len(plaintext), chunk_size)] or [b""]
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                n = chunk_nonce(i, last)
                chunks.append((i, last, n, aead_seal(cls, payload_key, n, header_digest, piece)))
    if len(chunks) != len(vchunks):
        st.note("chunk count", False, "computed %d, vector %d" % (len(chunks), len(vchunks)))
    for (i, last, n, ct), vc in zip(chunks, vchunks):
        st.note("chunk[%d].index/last" % i, vc.get("index") == i and vc.get("last") == last,
                "vector index=%s last=%s" % (vc.get("index"), vc.get("last")))
        st.check("chunk[%d].nonce_or_iv" % i, n, vc.get("nonce_or_iv"))
        st.check("chunk[%d].ciphertext" % i, ct, vc.get("ciphertext"))
    payload = b"".join(c[3] for c in chunks)

    trailer = b""
    if signer:
        sig_input = header_digest + hashlib.sha256(b"".join(c[3] for c in chunks)).digest()
        st.check("signature_input", sig_input, iv_.get("signature_input"))
        rnd = rand.take(32)
        trailer = mldsa_sign_hedged(alg, sk, sig_input, SIG_CTX, rnd)
        st.check("signature", trailer, iv_.get("signature"))
        st.note("signature length", len(trailer) == sig_len, "%d" % len(trailer))
    else:
        st.note("signature_input/signature empty (unsigned)",
                iv_.get("signature_input", "") == "" and iv_.get("signature", "") == "")

    st.note("randomness fully consumed", rand.pos == len(rand.data),
            "used %d of %d bytes" % (rand.pos, len(rand.data)))
    envelope = header + payload + trailer
    st.check("envelope", envelope, vec.get("envelope"))
    return st


# ---------------------------------------------------------------------------
# Reader: parse and open per FORMAT.md "Processing rules for readers"


class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, n):
        if n < 0 or self.p + n > len(self.d):
            raise AuthFailure("truncated header")
        out = self.d[self.p:self.p + n]
        self.p += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]


ARMOR_PREFIX = b"-----BEGIN QRES ENVELOPE-----"


def parse_header(env):
    r = Reader(env)
    # rule 1
    if len(env) < 8 or env[:8] != MAGIC:
        if env.startswith(ARMOR_PREFIX):
            raise Armored("armored envelope")
        raise NotEnvelope("bad magic")
    r.take(8)
    if len(env) < 9:
        raise AuthFailure("truncated")
    version = r.u8()
    if version != VERSION:
        raise UnsupportedVersion("unknown version %d" % version)
    # the fixed fields up to qne_len are read before any of them is judged
    flags = r.u8()
    kem_id, kdf_id, hpke_aead_id, payload_aead_id = r.u16(), r.u16(), r.u16(), r.u16()
    chunk_size = r.u32()
    qne_len = r.u16()
    # rule 2: ids outside the format's tables, in header order
    if kem_id not in KEM_SIZES or kdf_id not in KDFS or hpke_aead_id not in HPKE_AEADS \
            or payload_aead_id not in PAYLOAD_AEADS:
        raise UnsupportedAlgorithm("algorithm id outside its table")
    # rule 3
    if flags & ~0x03:
        raise AuthFailure("unknown flag bits")
    streamed = bool(flags & FLAG_STREAMED)
    signed = bool(flags & FLAG_SIGNED)
    if streamed:
        if not (1024 <= chunk_size <= 16777216):
            raise AuthFailure("chunk_size out of range")
        if payload_aead_id == 0xFE01:
            raise AuthFailure("streamed legacy")
    elif chunk_size != 0:
        raise AuthFailure("chunk_size must be 0 when not streamed")
    if qne_len > 1024:
        raise AuthFailure("qne too long")
    qne = r.take(qne_len)
    sig_alg = signer_key_id = None
    if signed:
        sig_alg = r.u16()
        if sig_alg not in ML_DSAS:
            raise AuthFailure("unimplemented sig_alg")
        signer_key_id = r.take(16)
    count = r.u16()
    if not (1 <= count <= 256):
        raise AuthFailure("recipient_count out of range")
    nenc, _npk = KEM_SIZES[kem_id]
    nwrapped = 32 + HPKE_AEADS[hpke_aead_id][2]
    stanzas = []
    for _ in range(count):
        kid = r.take(16)
        kver = r.u32()
        enc_len = r.u16()
        if enc_len != nenc:
            raise AuthFailure("enc_len")
        enc = r.take(enc_len)
        wl = r.u16()
        if wl != nwrapped:
            raise AuthFailure("wrapped_len")
        wrapped = r.take(wl)
        stanzas.append(dict(key_id=kid, key_version=kver, enc=enc, wrapped=wrapped))
        if r.p + 32 > MAX_HEADER:
            raise AuthFailure("header over 1 MiB")
    header_wo_end = r.p
    header_mac = r.take(32)
    if r.p > MAX_HEADER:
        raise AuthFailure("header over 1 MiB")
    return dict(version=version, flags=flags, streamed=streamed, signed=signed, kem_id=kem_id,
                kdf_id=kdf_id, hpke_aead_id=hpke_aead_id, payload_aead_id=payload_aead_id,
                chunk_size=chunk_size, qne=qne, sig_alg=sig_alg, signer_key_id=signer_key_id,
                stanzas=stanzas, header_wo=env[:header_wo_end], header_mac=header_mac,
                header_len=r.p)


def open_envelope(env, kem_seed, my_key_id, my_key_version=None, signer_vk=None):
    """Open `env` with one recipient key. Returns (header_info, plaintext, sig_ok)."""
    h = parse_header(env)
    kem_id, kdf_id = h["kem_id"], h["kdf_id"]
    # rule 3
    # a lone key (my_key_version None) matches any version; a versioned key its version, or a version-0
    # stanza (FORMAT.md "Stanzas and recipients")
    cands = [s for s in h["stanzas"] if s["key_id"] == my_key_id
             and (my_key_version is None or s["key_version"] in (my_key_version, 0))]
    if not cands:
        raise NoMatchingKey([s["key_id"].hex() for s in h["stanzas"]])
    # rule 4
    file_key = None
    for s in cands:
        aad = s["key_id"] + u32(s["key_version"])
        try:
            fk = hpke_open_base(kem_id, kdf_id, h["hpke_aead_id"], kem_seed, s["enc"], HPKE_INFO, aad, s["wrapped"])
        except (InvalidTag, ValueError):
            continue
        if len(fk) == 32:
            file_key = fk
            break
    if file_key is None:
        raise AuthFailure("no stanza unwraps")
    # rule 5
    prk = derive_prk(kdf_id, file_key)
    mac_key = hkdf_expand(kdf_id, prk, b"header mac", 32)
    if not py_hmac.compare_digest(hmac_sha256(mac_key, h["header_wo"]), h["header_mac"]):
        raise AuthFailure("header mac")
    # rule 7: the reader's signer requirement, once the header is authentic
    if signer_vk is not None:
        if not h["signed"]:
            raise SenderSignatureMissing("unsigned")
        if key_id(0x02, h["sig_alg"], signer_vk) != h["signer_key_id"]:
            raise SenderKeyMismatch("signer key id")
    # rule 6
    header = env[:h["header_len"]]
    header_digest = hashlib.sha256(header).digest()
    pa = h["payload_aead_id"]
    payload_key = hkdf_expand(kdf_id, prk, b"payload key" + header_digest, payload_key_len(pa))
    rest = env[h["header_len"]:]
    sig = b""
    if h["signed"]:
        sig_len = ML_DSAS[h["sig_alg"]][1]
        if len(rest) < sig_len:
            raise AuthFailure("missing trailer")
        rest, sig = rest[:-sig_len], rest[-sig_len:]
    payload = rest
    if pa == 0xFE01:
        iv = legacy_iv(kdf_id, prk, header_digest)
        pt = legacy_open(payload_key, iv, header_digest, payload)
        final_tag = payload[-32:]
    else:
        cls = PAYLOAD_AEADS[pa][1]
        if not h["streamed"]:
            if len(payload) < 16:
                raise AuthFailure("short payload")
            try:
                pt = aead_open(cls, payload_key, chunk_nonce(0, True), header_digest, payload)
            except InvalidTag:
                raise AuthFailure("payload tag")
            final_tag = payload[-16:]
        else:
            full = h["chunk_size"] + 16
            out = []
            off = 0
            i = 0
            if len(payload) == 0:
                raise AuthFailure("payload ends before a final chunk")
            while True:
                remaining = len(payload) - off
                last = remaining <= full
                clen = remaining if last else full
                if clen < 16:
                    raise AuthFailure("chunk shorter than tag")
                if last and clen == 16 and i != 0:
                    raise AuthFailure("empty final chunk that is not chunk 0")
                c = payload[off:off + clen]
                try:
                    out.append(aead_open(cls, payload_key, chunk_nonce(i, last), header_digest, c))
                except InvalidTag:
                    raise AuthFailure("chunk %d tag" % i)
                off += clen
                i += 1
                if last:
                    final_tag = c[-16:]
                    break
            pt = b"".join(out)
    sig_ok = None
    if h["signed"] and signer_vk is not None:
        alg = ML_DSAS[h["sig_alg"]][0]
        sig_ok = mldsa_verify(alg, signer_vk, header_digest + hashlib.sha256(payload).digest(), SIG_CTX, sig)
        if not sig_ok:
            raise AuthFailure("sender signature")
    return h, pt, sig_ok


REJECT_CLASSES = [
    (Armored, "armored_envelope"),
    (NotEnvelope, "not_an_envelope"),
    (UnsupportedVersion, "unsupported_version"),
    (UnsupportedAlgorithm, "unsupported_algorithm"),
    (AuthFailure, "authentication_failed"),
    (NoMatchingKey, "no_matching_key"),
    (SenderSignatureMissing, "sender_signature_missing"),
    (SenderKeyMismatch, "sender_key_mismatch"),
    (InvalidKey, "invalid_key"),
]


def check_reject(vec):
    """A must-reject vector: the input is refused with the expected error class."""
    data = bytes.fromhex(vec["input"])
    rcp = vec["recipient"]
    kem_id = rcp["kem_id"]
    seed = bytes.fromhex(rcp["seed"])
    vs = vec.get("verify_sender")
    signer_vk = bytes.fromhex(vs["verifying_key"]) if vs else None
    try:
        if vec["kind"] == "public_key":
            check_public_key(kem_id, data)
        else:
            pk = kem_public_from_seed(kem_id, seed)
            open_envelope(data, seed, key_id(0x01, kem_id, pk), rcp["key_version"], signer_vk)
    except Exception as e:  # noqa: BLE001
        for cls, name in REJECT_CLASSES:
            if isinstance(e, cls):
                return name, "%s: %s" % (type(e).__name__, e)
        return "other", "%s: %s" % (type(e).__name__, e)
    return None, "accepted"


def check_open(vec):
    inp = vec["inputs"]
    st = Steps()
    env = bytes.fromhex(vec["envelope"])
    plaintext = bytes.fromhex(inp["plaintext"])
    qne = bytes.fromhex(inp["qne"])
    signer = inp.get("signer")
    signer_vk = None
    if signer:
        signer_vk, _ = ML_DSAS[signer["sig_alg"]][0].key_derive(bytes.fromhex(signer["seed"]))
    for i, r in enumerate(inp["recipients"]):
        p = "open[recipient %d]" % i
        seed = bytes.fromhex(r["seed"])
        pk = kem_public_from_seed(inp["kem_id"], seed)
        kid = key_id(0x01, inp["kem_id"], pk)
        try:
            h, pt, sig_ok = open_envelope(env, seed, kid, r["key_version"], signer_vk)
        except Exception as e:  # noqa: BLE001
            st.note(p, False, "%s: %s" % (type(e).__name__, e))
            continue
        st.note(p + ".plaintext", pt == plaintext, "%d bytes" % len(pt))
        st.note(p + ".qne", h["qne"] == qne, "%d bytes" % len(h["qne"]))
        st.note(p + ".header fields", h["kem_id"] == inp["kem_id"] and h["kdf_id"] == inp["kdf_id"]
                and h["hpke_aead_id"] == inp["hpke_aead_id"] and h["payload_aead_id"] == inp["payload_aead_id"]
                and h["streamed"] == bool(inp["streamed"]) and h["signed"] == bool(signer)
                and (not inp["streamed"] or h["chunk_size"] == inp["chunk_size"]))
        if signer:
            st.note(p + ".sender signature", sig_ok is True, "ML-DSA verify with key id check")
    return st


# ---------------------------------------------------------------------------
# Negative checks (reader rules); each mutated envelope must be rejected


def negative_checks(vec):
    inp = vec["inputs"]
    st = Steps()
    env = bytes.fromhex(vec["envelope"])
    r = inp["recipients"][0]
    seed = bytes.fromhex(r["seed"])
    kid = bytes.fromhex(r["key_id"])
    signer = inp.get("signer")
    vk = None
    if signer:
        vk, _ = ML_DSAS[signer["sig_alg"]][0].key_derive(bytes.fromhex(signer["seed"]))
    h = parse_header(env)
    hl = h["header_len"]
    sig_len = ML_DSAS[h["sig_alg"]][1] if h["signed"] else 0
    pay_end = len(env) - sig_len

    def expect_reject(name, mutated, exc=(AuthFailure,), sig_must_fail=False):
        try:
            _h, _pt, sig_ok = open_envelope(mutated, seed, kid, r["key_version"], vk)
        except exc:
            st.note("reject: " + name, True)
            return
        except Exception as e:  # noqa: BLE001
            st.note("reject: " + name, False, "unexpected %s: %s" % (type(e).__name__, e))
            return
        if sig_must_fail and sig_ok is False:
            st.note("reject: " + name, True, "signature fails")
            return
        st.note("reject: " + name, False, "accepted")

    def flip(b, i):
        b = bytearray(b)
        b[i] ^= 0x01
        return bytes(b)

    expect_reject("bad magic", flip(env, 0), exc=(NotEnvelope,))
    expect_reject("unknown version", env[:8] + b"\x02" + env[9:], exc=(Unsupported,))
    expect_reject("unknown flag bit", env[:9] + bytes([env[9] | 0x80]) + env[10:])
    qne_off = 8 + 1 + 1 + 8 + 4 + 2
    if h["qne"]:
        expect_reject("QNE byte flipped", flip(env, qne_off))
    expect_reject("header_mac flipped", flip(env, hl - 1))
    expect_reject("first payload byte flipped", flip(env, hl))
    expect_reject("last payload byte flipped", flip(env, pay_end - 1))
    expect_reject("one trailing byte appended", env + b"\x00",
                  sig_must_fail=True)
    if h["signed"]:
        expect_reject("signature byte flipped", flip(env, len(env) - 1), sig_must_fail=True)
    if h["streamed"]:
        full = h["chunk_size"] + 16
        payload = env[hl:pay_end]
        nchunks = (len(payload) + full - 1) // full
        if nchunks >= 2:
            # drop the final chunk: the previous chunk is then treated as final
            expect_reject("final chunk dropped", env[:hl] + payload[:(nchunks - 1) * full] + env[pay_end:])
            # swap chunks 0 and 1
            sw = payload[full:2 * full] + payload[:full] + payload[2 * full:]
            expect_reject("chunks 0 and 1 swapped", env[:hl] + sw + env[pay_end:])
            # append an empty-looking final chunk (16 bytes)
            expect_reject("extra 16-byte chunk appended", env[:hl] + payload + b"\x00" * 16 + env[pay_end:])
        expect_reject("payload truncated by 1", env[:hl] + payload[:-1] + env[pay_end:])
        expect_reject("empty payload", env[:hl] + env[pay_end:])
    # no matching key
    try:
        open_envelope(env, seed, b"\x00" * 16, None, vk)
        st.note("no matching key reported", False, "accepted")
    except NoMatchingKey as e:
        st.note("no matching key reported", kid.hex() in e.args[0], "lists %s" % e.args[0])
    return st


# ---------------------------------------------------------------------------
# Ambiguity probes: do the vectors distinguish the readings FORMAT.md leaves open?


def probes(vec):
    """Try alternative readings of points FORMAT.md leaves open; report which
    reading the vector data matches.  Informational only (never FAIL)."""
    inp = vec["inputs"]
    out = []
    kem_id = inp["kem_id"]
    r = inp["recipients"][0]
    seed = bytes.fromhex(r["seed"])
    want_pk = bytes.fromhex(r["public_key"])
    vs = vec["intermediates"]["stanzas"][0]
    if kem_id == XWING_ID:
        for label, xof in (("SHAKE256 (xwing -05..-10)", hashlib.shake_256), ("SHAKE128 (xwing -03/-04)", hashlib.shake_128)):
            e = xof(seed).digest(96)
            pk_m, _ = ML_KEM_768._keygen_internal(e[0:32], e[32:64])
            out.append(("X-Wing seed expansion " + label, pk_m + x25519_base(e[64:96]) == want_pk))
        ikm = bytes.fromhex(vs["ikm_e"])
        pk_m, pk_x = want_pk[:1184], want_pk[1184:]
        ss_m, ct_m = ML_KEM_768._encaps_internal(pk_m, ikm[0:32])
        ct_x = x25519_base(ikm[32:64])
        ss_x = x25519(ikm[32:64], pk_x)
        want_ss = bytes.fromhex(vs["kem_shared_secret"])
        out.append(("X-Wing combiner label last (-05..-10)", hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + XWING_LABEL).digest() == want_ss))
        out.append(("X-Wing combiner label first (before -05)", hashlib.sha3_256(XWING_LABEL + ss_m + ss_x + ct_x + pk_x).digest() == want_ss))
        ss_m2, ct_m2 = ML_KEM_768._encaps_internal(pk_m, ikm[32:64])
        out.append(("X-Wing eseed split: m = eseed[0:32], ek_X = eseed[32:64]", ct_m + ct_x == bytes.fromhex(vs["enc"])))
        out.append(("X-Wing eseed split swapped: ek_X = eseed[0:32]", ct_m2 + x25519_base(ikm[0:32]) == bytes.fromhex(vs["enc"])))
    else:
        kem = ML_KEMS[kem_id]
        out.append(("ML-KEM seed = d || z", kem._keygen_internal(seed[:32], seed[32:])[0] == want_pk))
        out.append(("ML-KEM seed = z || d", kem._keygen_internal(seed[32:], seed[:32])[0] == want_pk))
        ikm = bytes.fromhex(vs["ikm_e"])
        out.append(("ML-KEM ikmE used directly as Encaps_internal m", kem._encaps_internal(want_pk, ikm)[1] == bytes.fromhex(vs["enc"])))
        out.append(("ML-KEM m = SHA3-256(ikmE) (not the reading used)", kem._encaps_internal(want_pk, hashlib.sha3_256(ikm).digest())[1] == bytes.fromhex(vs["enc"])))
    return out


# ---------------------------------------------------------------------------
# Demonstration: the ML-DSA trailer does not bind the plaintext against a
# holder of the file key (any recipient).


def _gf128_mul(x, y):
    R = 0xE1 << 120
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ R if v & 1 else v >> 1
    return z


def forgery_demo(vdir):
    """Returns list of (name, demonstrated?, detail)."""
    res = []
    path = os.path.join(vdir, "xwing-signed.json")
    if not os.path.exists(path):
        return res
    vec = json.load(open(path))
    inp = vec["inputs"]
    env = bytes.fromhex(vec["envelope"])
    r = inp["recipients"][0]
    seed = bytes.fromhex(r["seed"])
    kid = bytes.fromhex(r["key_id"])
    vk, _ = ML_DSA_65.key_derive(bytes.fromhex(inp["signer"]["seed"]))
    h = parse_header(env)
    hl = h["header_len"]
    sig_len = ML_DSAS[h["sig_alg"]][1]
    payload, sig = env[hl:-sig_len], env[-sig_len:]
    # the recipient learns the file key legitimately and derives payload_key
    s = h["stanzas"][0]
    fk = hpke_open_base(h["kem_id"], h["kdf_id"], h["hpke_aead_id"], seed, s["enc"], HPKE_INFO,
                        s["key_id"] + u32(s["key_version"]), s["wrapped"])
    prk = derive_prk(h["kdf_id"], fk)
    hd = hashlib.sha256(env[:hl]).digest()
    pkey = hkdf_expand(h["kdf_id"], prk, b"payload key" + hd, 32)
    # GHASH key H = AES_K(0^128); changing C block 0 by D0 and block 1 by D0*H
    # leaves GHASH (hence the GCM tag) unchanged.
    enc = Cipher(algorithms.AES(pkey), modes.ECB()).encryptor()
    H = int.from_bytes(enc.update(b"\x00" * 16) + enc.finalize(), "big")
    d0 = int.from_bytes(b"FORGED BY A RCPT", "big") ^ int.from_bytes(bytes.fromhex(inp["plaintext"])[:16], "big")
    d1 = _gf128_mul(d0, H)
    c = bytearray(payload)
    c[0:16] = (int.from_bytes(c[0:16], "big") ^ d0).to_bytes(16, "big")
    c[16:32] = (int.from_bytes(c[16:32], "big") ^ d1).to_bytes(16, "big")
    forged = env[:hl] + bytes(c) + sig
    try:
        _h, pt, sig_ok = open_envelope(forged, seed, kid, r["key_version"], vk)
        ok = sig_ok is True and pt != bytes.fromhex(inp["plaintext"]) and pt.startswith(b"FORGED BY A RCPT")
        res.append(("single-shot AES-256-GCM: recipient re-tags a different plaintext; "
                    "sender signature still verifies", ok, "opened plaintext starts %r" % pt[:16]))
    except Exception as e:  # noqa: BLE001
        res.append(("single-shot AES-256-GCM forgery", False, "%s: %s" % (type(e).__name__, e)))
    # streamed: non-final chunks are not covered by the signature at all.
    sv = json.load(open(os.path.join(vdir, "xwing-two-recipients-streamed.json")))
    inp2 = json.loads(json.dumps(sv["inputs"]))
    inp2["signer"] = inp["signer"]
    inp2["randomness"] = inp2["randomness"] + "42" * 32
    fake = {"inputs": inp2, "intermediates": {}, "envelope": None}
    env2 = _build_envelope(fake)
    r2 = inp2["recipients"][1]
    seed2 = bytes.fromhex(r2["seed"])
    kid2 = key_id(1, XWING_ID, kem_public_from_seed(XWING_ID, seed2))
    h2 = parse_header(env2)
    hl2 = h2["header_len"]
    s2 = [s for s in h2["stanzas"] if s["key_id"] == kid2][0]
    fk2 = hpke_open_base(XWING_ID, 1, 2, seed2, s2["enc"], HPKE_INFO, s2["key_id"] + u32(s2["key_version"]), s2["wrapped"])
    hd2 = hashlib.sha256(env2[:hl2]).digest()
    pkey2 = hkdf_expand(1, derive_prk(1, fk2), b"payload key" + hd2, 32)
    new_chunk0 = aead_seal(AESGCM, pkey2, chunk_nonce(0, False), hd2, b"X" * h2["chunk_size"])
    forged2 = env2[:hl2] + new_chunk0 + env2[hl2 + h2["chunk_size"] + 16:]
    try:
        _h, pt2, ok2 = open_envelope(forged2, bytes.fromhex(inp2["recipients"][0]["seed"]),
                                     bytes.fromhex(inp2["recipients"][0]["key_id"]), 1, vk)
    except AuthFailure:
        pt2, ok2 = b"", False
    res.append(("signed+streamed (built from vector inputs): recipient 1 replaces chunk 0; "
                "recipient 0 opens it with a valid sender signature",
                ok2 is True and pt2[:1024] == b"X" * 1024, "sig_ok=%s" % ok2))
    return res


def _build_envelope(vec):
    """Writer only: returns the envelope bytes computed from vec['inputs']."""
    captured = {}
    orig = Steps.check

    def cap(self, name, computed, expected_hex):
        if name == "envelope":
            captured["env"] = computed
        return orig(self, name, computed, None)
    Steps.check = cap
    try:
        recompute(vec)
    finally:
        Steps.check = orig
    return captured["env"]


# ---------------------------------------------------------------------------
# ASCII armor (FORMAT.md "ASCII armor").  No armor vectors exist, so this is
# only a self-consistency check of one reading of the text.

import base64
import binascii

ARMOR_BEGIN = "-----BEGIN QRES ENVELOPE-----"
ARMOR_END = "-----END QRES ENVELOPE-----"


def armor(env):
    b64 = base64.b64encode(env).decode("ascii")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    # ASSUMPTION: the writer ends the END line with LF (FORMAT.md only says one
    # final line ending is tolerated on input).
    return "\n".join([ARMOR_BEGIN] + lines + [ARMOR_END]) + "\n"


def dearmor(text):
    # ASSUMPTION: CRLF is accepted per line, so mixed LF/CRLF input is accepted.
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    lines = text.split("\n")
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if len(lines) < 3 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise ValueError("armor framing")
    body = lines[1:-1]
    for i, ln in enumerate(body):
        if not (1 <= len(ln) <= 64) or (i < len(body) - 1 and len(ln) != 64):
            raise ValueError("armor line length")
    b64 = "".join(body)
    if len(b64) % 4:
        raise ValueError("armor padding")
    try:
        data = base64.b64decode(b64, validate=True)
    except binascii.Error:
        raise ValueError("armor base64")
    if base64.b64encode(data).decode("ascii") != b64:
        raise ValueError("armor non-canonical")
    return data


def armor_checks(vec):
    st = Steps()
    env = bytes.fromhex(vec["envelope"])
    a = armor(env)
    st.note("armor round trip", dearmor(a) == env, "%d lines" % a.count("\n"))
    st.note("armor CRLF accepted", dearmor(a.replace("\n", "\r\n")) == env)
    ls = a.split("\n")  # ls[0] = BEGIN, ls[1..] body, then END, then "" (final LF)
    bad = {
        "text before BEGIN": "x\n" + a,
        "text after END": a + "x\n",
        "blank line in body": "\n".join(ls[:2] + [""] + ls[2:]),
        "short non-final line": "\n".join(ls[:1] + [ls[1][:-4], ls[1][-4:] + ls[2]] + ls[3:]),
        "trailing space": a.replace(ARMOR_END, ARMOR_END + " "),
    }
    for name, t in bad.items():
        try:
            dearmor(t)
            st.note("armor rejects " + name, False, "accepted")
        except ValueError:
            st.note("armor rejects " + name, True)
    return st


# ---------------------------------------------------------------------------
# Self tests of the primitives against public standard vectors


def selftests():
    res = Steps()
    if os.environ.get("CI") == "true":
        for path in ("xwing/test-vectors.json", "hpke/hpke-pq-test-vectors.json"):
            res.note("shared vector file present: " + path, os.path.exists(os.path.join(SHARED_VECTORS, path)))
    xw = os.path.join(SHARED_VECTORS, "xwing", "test-vectors.json")
    if os.path.exists(xw):
        for i, t in enumerate(json.load(open(xw))):
            sk = bytes.fromhex(t["sk"])
            _a, _b, pk_m, pk_x = xwing_expand(sk)
            ok = pk_m + pk_x == bytes.fromhex(t["pk"])
            ss, ct = xwing_encaps_derand(bytes.fromhex(t["pk"]), bytes.fromhex(t["eseed"]))
            ok = ok and ss == bytes.fromhex(t["ss"]) and ct == bytes.fromhex(t["ct"])
            ok = ok and xwing_decaps(sk, ct) == bytes.fromhex(t["ss"])
            res.note("X-Wing draft vector %d (keygen, EncapsulateDerand, Decapsulate)" % i, ok)
    hp = os.path.join(SHARED_VECTORS, "hpke", "hpke-pq-test-vectors.json")
    if os.path.exists(hp):
        for t in json.load(open(hp)):
            kem, kdf, aead = t["kem_id"], t["kdf_id"], t["aead_id"]
            if kem not in KEM_SIZES or kdf not in KDFS or aead not in HPKE_AEADS or t["mode"] != 0:
                continue
            sk = bytes.fromhex(t["skRm"])
            pk = bytes.fromhex(t["pkRm"])
            ok = kem_public_from_seed(kem, sk) == pk
            ss, enc = kem_encaps_derand(kem, pk, bytes.fromhex(t["ikmE"]))
            ok = ok and ss == bytes.fromhex(t["shared_secret"]) and enc == bytes.fromhex(t["enc"])
            key, bn, exp = hpke_key_schedule_base(kem, kdf, aead, ss, bytes.fromhex(t["info"]))
            ok = ok and key == bytes.fromhex(t["key"]) and bn == bytes.fromhex(t["base_nonce"]) \
                and exp == bytes.fromhex(t["exporter_secret"])
            e0 = t["encryptions"][0]
            ok = ok and bytes.fromhex(e0["nonce"]) == bn and aead_seal(
                HPKE_AEADS[aead][3], key, bn, bytes.fromhex(e0["aad"]), bytes.fromhex(e0["pt"])) == bytes.fromhex(e0["ct"])
            ok = ok and kem_decaps(kem, sk, enc) == ss
            res.note("draft-ietf-hpke-pq vector kem=0x%04x kdf=%d aead=%d (seed keygen, derand Encap, "
                     "key schedule, seq-0 Seal, Decap)" % (kem, kdf, aead), ok)
    # ML-DSA: FIPS 204 external interface round trip with context
    vk, sk = ML_DSA_65.key_derive(b"\x07" * 32)
    sig = mldsa_sign_hedged(ML_DSA_65, sk, b"msg", SIG_CTX, b"\x00" * 32)
    res.note("ML-DSA-65 hedged sign/verify round trip with ctx (M' = 0 || |ctx| || ctx || M)",
             ML_DSA_65.verify(vk, b"msg", sig, ctx=SIG_CTX) and sig == ML_DSA_65.sign(sk, b"msg", ctx=SIG_CTX, deterministic=True))
    return res


# ---------------------------------------------------------------------------


def print_steps(title, st, verbose=True, only_fail=False):
    print("  " + title)
    for name, status, detail in st.results:
        if only_fail and status == "PASS":
            continue
        if verbose or status != "PASS":
            print("    %-4s %-48s %s" % (status, name, detail))


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("-")]
    verbose = "-q" not in argv
    vdir = args[0] if args else DEFAULT_VECTOR_DIR
    total_fail = 0

    print("== self tests of primitives against public standard vectors")
    s = selftests()
    print_steps("primitives", s, verbose)
    total_fail += sum(1 for r in s.results if r[1] == "FAIL")

    files = sorted(glob.glob(os.path.join(vdir, "*.json")))
    if not files:
        print("no vectors in", vdir)
        return 2
    summary = []
    for f in files:
        vec = json.load(open(f))
        name = os.path.basename(f)
        print("\n== %s: %s" % (name, vec.get("description", "")))
        st = recompute(vec)
        print_steps("recompute from inputs", st, verbose)
        ff = st.first_fail()
        print("  first mismatching step: %s" % (ff[0] if ff else "none"))
        op = check_open(vec)
        print_steps("parse and open", op, verbose)
        ng = negative_checks(vec)
        print_steps("negative checks", ng, verbose)
        ar = armor_checks(vec)
        print_steps("ASCII armor (self-consistency only, no vectors)", ar, verbose)
        print("  ambiguity probes (informational: which reading matches the vector)")
        for pname, pok in probes(vec):
            print("    %-5s %s" % ("MATCH" if pok else "no", pname))
        nf = [sum(1 for r in x.results if r[1] == "FAIL") for x in (st, op, ng, ar)]
        total_fail += sum(nf)
        summary.append((name, nf, ff[0] if ff else None))

    rejects = sorted(glob.glob(os.path.join(vdir, "reject", "*.json")))
    print("\n== must-reject vectors (%d): each refused with its expected error class" % len(rejects))
    reject_fail = 0
    for f in rejects:
        vec = json.load(open(f))
        got, detail = check_reject(vec)
        ok = got == vec["expected_error"]
        reject_fail += 0 if ok else 1
        if verbose or not ok:
            print("    %-4s %-44s expected %-24s got %s (%s)" % (
                "PASS" if ok else "FAIL", os.path.basename(f), vec["expected_error"], got, detail))
    if len(rejects) < 20:
        print("    FAIL fewer than 20 must-reject vectors")
        reject_fail += 1
    print("  must-reject: %d of %d refused as expected" % (len(rejects) - reject_fail, len(rejects)))
    total_fail += reject_fail

    print("\n== forgery attempts: a recipient (who knows the file key) forging the sender's signed message")
    for dname, dok, ddet in forgery_demo(vdir):
        # The signature covers SHA-256(payload), so every attempt must be rejected.
        print("    %-9s %s  [%s]" % ("FORGED" if dok else "REJECTED", dname, ddet))
        total_fail += 1 if dok else 0

    print("\n== summary")
    for name, (a, b, c, d), ff in summary:
        print("  %-40s recompute %-4s open %-4s negative %-4s armor %-4s%s" % (
            name, "PASS" if a == 0 else "FAIL", "PASS" if b == 0 else "FAIL", "PASS" if c == 0 else "FAIL",
            "PASS" if d == 0 else "FAIL",
            ("  first mismatch: " + ff) if ff else ""))
    print("%d passed, %d failed" % (sum(1 for _n, x, _f in summary if sum(x) == 0),
                                    sum(1 for _n, x, _f in summary if sum(x) != 0)))
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
