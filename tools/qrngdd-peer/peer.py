#!/usr/bin/env python3
"""An independent implementation of the public QRNG-DD wire format (vbocan/qrng-data-diode v1.0.0).

Written from the format's description (see FORMAT notes below), not from qres' code, with Python's own
MessagePack, HMAC and CRC-32, so that the interop tests in CI check qres against a second implementation:

* ``gateway``: a minimal HTTP gateway that accepts ``POST /push`` the way the public gateway does
  (MessagePack decode, CRC-32, HMAC-SHA256, TTL) and serves ``GET /api/random?bytes=N&encoding=binary``
  to a bearer key; ``GET /stats`` reports what it accepted and refused (JSON).
* ``packet``: prints one signed packet (hex) for given fields.
* ``reencode``: reads a packet (hex) on stdin, verifies it, re-encodes the decoded fields canonically and
  says whether the bytes are identical (checks that qres encodes exactly as rmp-serde does).

Format (qrng-core protocol.rs / crypto.rs of the public project):
  packet = MessagePack array of 7: version (u8 = 1), id (bin 16, UUID), sequence (u64), data (bin),
           timestamp (str, RFC 3339 UTC with 'Z' and 0/3/6/9 fraction digits), signature (bin 32),
           checksum (u32 CRC-32/IEEE of data, or nil); a map with these field names is also accepted.
  signature = HMAC-SHA256(key, version u8 || sequence u64 BE || data || timestamp nanoseconds i64 BE).
  key = the hex-decoded QRNG_HMAC_SECRET_KEY.

This is a test tool: it keeps everything in memory and is meant for loopback only.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import uuid
import zlib
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import msgpack

FIELDS = ("version", "id", "sequence", "data", "timestamp", "signature", "checksum")
TS_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")


class Refused(Exception):
    """A packet the gateway refuses; the message is the reason."""


def format_timestamp(nanos):
    """chrono's RFC 3339 serialization (SecondsFormat::AutoSi, 'Z')."""
    secs, frac = divmod(nanos, 1_000_000_000)
    base = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if frac == 0:
        return base + "Z"
    if frac % 1_000_000 == 0:
        return f"{base}.{frac // 1_000_000:03d}Z"
    if frac % 1_000 == 0:
        return f"{base}.{frac // 1_000:06d}Z"
    return f"{base}.{frac:09d}Z"


def parse_timestamp(text):
    m = TS_RE.match(text)
    if not m:
        raise Refused("timestamp")
    y, mo, d, h, mi, s, frac, zone = m.groups()
    dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc)
    nanos = int(dt.timestamp()) * 1_000_000_000 + int((frac or "").ljust(9, "0") or 0)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        nanos -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * 1_000_000_000
    return nanos


def signing_input(version, sequence, data, ts_nanos):
    return bytes([version]) + sequence.to_bytes(8, "big") + data + ts_nanos.to_bytes(8, "big", signed=True)


def sign(key, sequence, data, ts_nanos, packet_id=None, checksum=True):
    sig = hmac.new(key, signing_input(1, sequence, data, ts_nanos), hashlib.sha256).digest()
    fields = [
        1,
        packet_id if packet_id is not None else uuid.uuid4().bytes,
        sequence,
        data,
        format_timestamp(ts_nanos),
        sig,
        zlib.crc32(data) if checksum else None,
    ]
    return msgpack.packb(fields, use_bin_type=True)


def decode(body):
    try:
        obj = msgpack.unpackb(body, raw=False, strict_map_key=False)
    except Exception as e:  # noqa: BLE001 - any decoding failure is a refusal
        raise Refused("malformed") from e
    if isinstance(obj, dict):
        obj = [obj.get(f) for f in FIELDS]
    if not isinstance(obj, list) or len(obj) not in (6, 7):
        raise Refused("malformed")
    fields = dict(zip(FIELDS, obj + [None] * (7 - len(obj))))
    if fields["version"] != 1:
        raise Refused("version")
    if not (isinstance(fields["id"], bytes) and len(fields["id"]) == 16):
        raise Refused("malformed")
    if not isinstance(fields["data"], bytes) or not isinstance(fields["signature"], bytes):
        raise Refused("malformed")
    if not isinstance(fields["timestamp"], str) or not isinstance(fields["sequence"], int):
        raise Refused("malformed")
    if not 0 <= fields["sequence"] < 1 << 64:
        raise Refused("malformed")
    if fields["checksum"] is not None and not isinstance(fields["checksum"], int):
        raise Refused("malformed")
    return fields


def verify(key, body, ttl_secs):
    """The public gateway's checks, in its order: decode, checksum, HMAC, age."""
    f = decode(body)
    if f["checksum"] is not None and f["checksum"] != zlib.crc32(f["data"]):
        raise Refused("checksum")
    ts = parse_timestamp(f["timestamp"])
    expected = hmac.new(key, signing_input(1, f["sequence"], f["data"], ts), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, f["signature"]):
        raise Refused("hmac")
    if ttl_secs and time.time_ns() - ts > ttl_secs * 1_000_000_000:
        raise Refused("stale")
    return f, ts


class Gateway:
    def __init__(self, key, api_key, ttl_secs, capacity):
        self.key, self.api_key, self.ttl, self.capacity = key, api_key, ttl_secs, capacity
        self.buffer = bytearray()
        self.lock = threading.Lock()
        self.stats = {"accepted": 0, "accepted_bytes": 0, "sequences": [], "refused": {}}


def handler(gw):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body=b"", ctype="text/plain"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if urlparse(self.path).path != "/push":
                return self.reply(404)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                f, _ = verify(gw.key, body, gw.ttl)
            except Refused as r:
                with gw.lock:
                    gw.stats["refused"][str(r)] = gw.stats["refused"].get(str(r), 0) + 1
                return self.reply(401 if str(r) == "hmac" else 400, str(r).encode())
            with gw.lock:
                room = gw.capacity - len(gw.buffer)
                if room <= 0:
                    return self.reply(507, b"buffer full")
                gw.buffer += f["data"][:room]
                gw.stats["accepted"] += 1
                gw.stats["accepted_bytes"] += min(room, len(f["data"]))
                gw.stats["sequences"].append(f["sequence"])
            return self.reply(200, b"OK")

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/stats":
                with gw.lock:
                    return self.reply(200, json.dumps(gw.stats).encode(), "application/json")
            if url.path != "/api/random":
                return self.reply(404)
            q = parse_qs(url.query)
            auth = self.headers.get("Authorization", "")
            given = q.get("api_key", [auth[7:] if auth.startswith("Bearer ") else ""])[0]
            if not hmac.compare_digest(given.encode(), gw.api_key.encode()):
                return self.reply(401, b"unauthorized")
            try:
                n = int(q.get("bytes", [""])[0])
            except ValueError:
                return self.reply(400, b"bytes")
            if not 1 <= n <= 65536 or q.get("encoding", ["hex"])[0] != "binary":
                return self.reply(400, b"bytes/encoding")
            with gw.lock:
                if len(gw.buffer) < n:
                    return self.reply(503, b"insufficient entropy")
                out = bytes(gw.buffer[:n])
                del gw.buffer[:n]
            return self.reply(200, out, "application/octet-stream")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gateway")
    g.add_argument("--listen", default="127.0.0.1:0")
    g.add_argument("--hmac-key", required=True)
    g.add_argument("--api-key", required=True)
    g.add_argument("--ttl-secs", type=int, default=300)
    g.add_argument("--capacity", type=int, default=1 << 20)
    p = sub.add_parser("packet")
    p.add_argument("--hmac-key", required=True)
    p.add_argument("--sequence", type=int, required=True)
    p.add_argument("--data-hex", required=True)
    p.add_argument("--ts-nanos", type=int, default=None)
    p.add_argument("--no-checksum", action="store_true")
    r = sub.add_parser("reencode")
    r.add_argument("--hmac-key", required=True)
    a = ap.parse_args()
    key = bytes.fromhex(a.hmac_key)

    if a.cmd == "packet":
        ts = a.ts_nanos if a.ts_nanos is not None else time.time_ns()
        print(sign(key, a.sequence, bytes.fromhex(a.data_hex), ts, checksum=not a.no_checksum).hex())
    elif a.cmd == "reencode":
        body = bytes.fromhex(sys.stdin.read().strip())
        f, ts = verify(key, body, 0)
        again = sign(key, f["sequence"], f["data"], ts, packet_id=f["id"], checksum=f["checksum"] is not None)
        print(json.dumps({"identical": again == body, "sequence": f["sequence"], "timestamp": f["timestamp"],
                          "data_len": len(f["data"])}))
    else:
        host, port = a.listen.rsplit(":", 1)
        gw = Gateway(key, a.api_key, a.ttl_secs, a.capacity)
        server = ThreadingHTTPServer((host, int(port)), handler(gw))
        print(f"reference gateway listening on {host}:{server.server_address[1]}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    os.umask(0o077)
    main()
