#!/usr/bin/env python3
"""Times the reference implementations of the password KDFs, as peers of benches/kdf.rs.

* Argon2id: the reference C implementation (phc-winner-argon2) through PyPI's argon2-cffi, at qres'
  default parameters (m = 64 MiB, t = 3, p = 4; argon2-cffi runs the p lanes on p threads).
* PBKDF2-HMAC-SHA256 at 600,000 iterations: Python's hashlib (OpenSSL).

Prints one JSON object with the median and minimum seconds of each. Usage:
    python3 -m venv target/kdf-bench-venv && target/kdf-bench-venv/bin/pip install -r tools/kdf-bench/requirements.txt
    target/kdf-bench-venv/bin/python tools/kdf-bench/peer.py [runs]
"""

import hashlib
import json
import statistics
import sys
import time

from argon2.low_level import Type, hash_secret_raw


def timed(fn, runs):
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {"median_s": statistics.median(samples), "min_s": min(samples), "runs": runs}


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    password, salt = b"correct horse battery staple", b"0123456789abcdef"
    results = {
        "argon2id_m65536_t3_p4": timed(
            lambda: hash_secret_raw(password, salt, time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, type=Type.ID),
            runs,
        ),
        "pbkdf2_sha256_600000": timed(lambda: hashlib.pbkdf2_hmac("sha256", password, salt, 600_000, 32), runs),
        "implementations": {"argon2": "argon2-cffi (phc-winner-argon2 C)", "pbkdf2": "hashlib (" + __import__("ssl").OPENSSL_VERSION + ")"},
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
