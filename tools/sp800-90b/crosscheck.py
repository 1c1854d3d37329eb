#!/usr/bin/env python3
"""Generate the cross-check vectors and run NIST's SP 800-90B non-IID estimators on them.

NIST's implementation is used through the PyPI package ``sp800-90b`` (0.1.1), a pybind11
wrapper around NIST's C++ (github usnistgov/SP800-90B_EntropyAssessment) that exposes every
estimator separately.

Usage (from /work/assess-dev, inside the venv that has ``sp800-90b`` installed):

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/crosscheck.py generate
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/crosscheck.py run

``generate`` writes vectors/*.bin (``os_random.bin`` only if it does not exist yet, since it is
not reproducible); ``run`` writes vectors/expected.json.  See vectors/README.md for how each data
set is derived.

The final values are combined as NIST's command-line tool ``ea_non_iid`` (non_iid_main.cpp, the
default initial-entropy mode, no bitstring truncation) combines them:

* non-binary data (more than two distinct symbols): on the original (mapped-down) symbols MCV,
  t-Tuple, LRS, MultiMCW, Lag, MultiMMC, LZ78Y; on the bitstring all ten estimators;
  H_original = min(bits_per_symbol, those), H_bitstring = min(1, those),
  final = min(H_original, bits_per_symbol * H_bitstring);
* binary data (exactly two distinct symbols): all ten estimators on the symbols (mapped to 0/1),
  no bitstring pass, final = min(bits_per_symbol, those).

Estimators that NIST reports as not applicable (a negative value: too few samples for
Compression / MultiMCW / MultiMMC / LZ78Y, no tuple seen 35 times for t-Tuple, v < u for LRS)
are left out of the minimum, as ea_non_iid does (the wrapper's own ``h_min_all`` does not skip
them, so its ``h_initial`` is stored separately as ``wrapper_h_initial`` for reference only).
"""

import hashlib
import importlib.metadata
import json
import math
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VEC = os.path.join(ROOT, "vectors")
NOAA = "/work/shared/data/noaa-goes/xrays-1-day-20220425.json"

N = 1_000_000
MASK64 = (1 << 64) - 1


def splitmix64(state):
    """One SplitMix64 step: returns (new_state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def gen_biased(n=N, seed=0x5EED_90B0_0000_0001):
    """Each sample is the AND of the two low bytes of one SplitMix64 output.

    Every bit is 1 with probability 1/4, independently: the true min-entropy is
    8 * log2(4/3) = 3.3202 bits per sample.
    """
    out = bytearray(n)
    s = seed
    for i in range(n):
        s, r = splitmix64(s)
        out[i] = (r & 0xFF) & ((r >> 8) & 0xFF)
    return bytes(out)


def gen_logistic(n=N, x0=0.123456789, r=3.99):
    """x_{k+1} = (r * x_k) * (1 - x_k) in IEEE double; sample k = min(255, floor(256 * x_k)), k = 1..n."""
    out = bytearray(n)
    x = x0
    for i in range(n):
        x = r * x * (1.0 - x)
        v = int(math.floor(x * 256.0))
        out[i] = 255 if v > 255 else (0 if v < 0 else v)
    return bytes(out)


def gen_noaa(path=NOAA):
    """int(round(flux * 1e12)) & 0xff for every record, in file order (both energy bands).

    Python's round() rounds half to even (Rust: f64::round_ties_even).
    """
    with open(path, "rb") as f:
        records = json.load(f)
    return bytes(int(round(rec["flux"] * 1e12)) & 0xFF for rec in records)


def expand_bits(data, bits=8):
    """MSB-first expansion of each sample into `bits` symbols 0/1 (as NIST's tool does)."""
    out = bytearray(len(data) * bits)
    k = 0
    for b in data:
        for j in range(bits - 1, -1, -1):
            out[k] = (b >> j) & 1
            k += 1
    return bytes(out)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def generate():
    os.makedirs(VEC, exist_ok=True)
    p = os.path.join(VEC, "os_random.bin")
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(os.urandom(N))
    for name, fn in (("biased.bin", gen_biased), ("logistic.bin", gen_logistic), ("noaa.bin", gen_noaa)):
        with open(os.path.join(VEC, name), "wb") as f:
            f.write(fn())
    for name in sorted(os.listdir(VEC)):
        if name.endswith(".bin"):
            print(name, os.path.getsize(os.path.join(VEC, name)), sha256(os.path.join(VEC, name)))


# Names used in expected.json and in the Rust crate.
ORIG_ORDER = ["most_common_value", "collision", "markov", "compression", "t_tuple", "lrs",
              "multi_mcw", "lag", "multi_mmc", "lz78y"]


def timed(fn):
    t = time.perf_counter()
    v = fn()
    return v, time.perf_counter() - t


def run_bitstring(d, res, times):
    calls = [
        ("most_common_value", d.h_bitstring_most_common),
        ("collision", d.h_bitstring_collision),
        ("markov", d.h_bitstring_markov),
        ("compression", d.h_bitstring_compression),
        ("t_tuple_lrs", d.h_bitstring_t_tuple_and_lrs),
        ("multi_mcw", d.h_bitstring_multi_most_common),
        ("lag", d.h_bitstring_lag_prediction),
        ("multi_mmc", d.h_bitstring_multi_markov),
        ("lz78y", d.h_bitstring_lz78y),
    ]
    for name, fn in calls:
        v, t = timed(fn)
        times[name] = t
        if name == "t_tuple_lrs":
            res["t_tuple"], res["lrs"] = v
        else:
            res[name] = v


def run_original(d, binary, res, times):
    calls = [("most_common_value", d.h_most_common)]
    if binary:
        calls += [("collision", d.h_collision), ("markov", d.h_markov), ("compression", d.h_compression)]
    calls += [
        ("t_tuple_lrs", d.h_t_tuple_and_lrs),
        ("multi_mcw", d.h_multi_most_common),
        ("lag", d.h_lag_prediction),
        ("multi_mmc", d.h_multi_markov),
        ("lz78y", d.h_lz78y),
    ]
    for name, fn in calls:
        v, t = timed(fn)
        times[name] = t
        if name == "t_tuple_lrs":
            res["t_tuple"], res["lrs"] = v
        else:
            res[name] = v


def combine(values, cap):
    """min over applicable (non-negative) estimates, starting from `cap` (ea_non_iid's rule)."""
    h = float(cap)
    for v in values.values():
        if v >= 0.0:
            h = min(h, v)
    return h


def assess(sp, data, bits, label):
    d = sp.Data(data, bits)
    binary = bool(d.is_binary)
    entry = {"bits_per_symbol": bits, "samples": len(data), "binary": binary}
    orig, bits_res, t_orig, t_bits = {}, {}, {}, {}
    if binary:
        # ea_non_iid: for binary data every estimator runs on the symbols, no bitstring pass.
        run_original(d, True, bits_res, t_bits)
        entry["original"] = {}
        entry["bitstring"] = bits_res
        h = combine(bits_res, bits)
        entry["h_original"] = h
        entry["h_bitstring"] = h
        entry["min_entropy"] = h
    else:
        run_original(d, False, orig, t_orig)
        run_bitstring(d, bits_res, t_bits)
        entry["original"] = orig
        entry["bitstring"] = bits_res
        h_o = combine(orig, bits)
        h_b = combine(bits_res, 1.0)
        entry["h_original"] = h_o
        entry["h_bitstring"] = h_b
        entry["min_entropy"] = min(h_o, bits * h_b)
    entry["nist_seconds"] = {"original": t_orig, "bitstring": t_bits,
                             "total": sum(t_orig.values()) + sum(t_bits.values())}
    # For reference only: the wrapper's own combination (does not skip "not applicable" = -1).
    v, t = timed(d.h_initial)
    entry["wrapper_h_initial"] = v
    print(label, json.dumps(entry, indent=1), file=sys.stderr)
    return entry


def run():
    import sp800_90b as sp

    sets = [
        ("os_random", "os_random.bin", 8),
        ("biased", "biased.bin", 8),
        ("logistic", "logistic.bin", 8),
        ("noaa", "noaa.bin", 8),
        ("os_random_1bit", "os_random.bin", 1),
    ]
    only = set(sys.argv[2:])
    out_path = os.path.join(VEC, "expected.json")
    expected = {}
    if os.path.exists(out_path):
        with open(out_path) as f:
            expected = json.load(f)
    expected["tool"] = {
        "package": "sp800-90b",
        "version": importlib.metadata.version("sp800-90b"),
        "wraps": "NIST SP800-90B_EntropyAssessment C++ (nist_impl/cpp in the sdist), ea_non_iid logic",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "command": "OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python tools/crosscheck.py run",
        "combination": "ea_non_iid default: initial entropy (-i), all bits (-a), negative = not applicable",
    }
    sets_out = expected.setdefault("sets", {})
    for key, fname, bits in sets:
        if only and key not in only:
            continue
        path = os.path.join(VEC, fname)
        with open(path, "rb") as f:
            raw = f.read()
        data = expand_bits(raw, 8) if bits == 1 else raw
        entry = assess(sp, data, bits, key)
        entry["file"] = fname
        entry["sha256"] = sha256(path)
        if bits == 1:
            entry["derivation"] = "each byte of the file expanded MSB-first into 8 one-bit samples"
        sets_out[key] = entry
        with open(out_path, "w") as f:
            json.dump(expected, f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("generate", "run"):
        print(__doc__)
        sys.exit(2)
    generate() if sys.argv[1] == "generate" else run()
