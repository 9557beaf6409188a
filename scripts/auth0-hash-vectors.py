#!/usr/bin/env python3
"""Writes crates/portcullis-core/src/import/testdata/hash-vectors.json: one Auth0 bulk-import
password field (`password_hash` or `custom_password_hash`) per algorithm and variant, computed
with real implementations (Python's hashlib and hmac, the `bcrypt`, `argon2-cffi` and
`pycryptodome` packages from PyPI), with the password that makes it. The Rust tests build their
import files from these, so every expected value comes from an independent implementation.

    python3 -m venv /tmp/vec && /tmp/vec/bin/pip install bcrypt argon2-cffi pycryptodome
    /tmp/vec/bin/python scripts/auth0-hash-vectors.py
"""

import base64
import hashlib
import hmac
import json
import os
import pathlib

import argon2
import bcrypt
from Crypto.Hash import MD4, RIPEMD160

OUT = pathlib.Path(__file__).resolve().parent.parent / (
    "crates/portcullis-core/src/import/testdata/hash-vectors.json"
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64_phc(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def md4(data: bytes) -> bytes:
    return MD4.new(data).digest()


def ripemd160(data: bytes) -> bytes:
    return RIPEMD160.new(data).digest()


def vector(label, password, field, value):
    return {"label": label, "password": password, field: value}


def custom(algorithm, hash_, **extra):
    return dict({"algorithm": algorithm, "hash": hash_}, **extra)


def main():
    v = []
    pw = "correct horse battery"

    # password_hash: bcrypt with each prefix Auth0 accepts.
    for prefix in (b"2a", b"2b"):
        h = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4, prefix=prefix)).decode()
        v.append(vector(f"password_hash bcrypt ${prefix.decode()}$", pw, "password_hash", h))
    h = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode()
    v.append(vector("password_hash bcrypt $2y$", pw, "password_hash", "$2y$" + h[4:]))

    # custom bcrypt, with a salt prefixed to the password.
    h = bcrypt.hashpw(b"pepper" + pw.encode(), bcrypt.gensalt(rounds=4)).decode()
    v.append(vector("custom bcrypt salted", pw, "custom_password_hash",
                    custom("bcrypt", {"value": h}, salt={"value": "pepper"})))

    # argon2 (PHC), argon2id and argon2i.
    for kind, t in (("id", argon2.Type.ID), ("i", argon2.Type.I)):
        h = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=t).hash(pw)
        v.append(vector(f"custom argon2{kind}", pw, "custom_password_hash",
                        custom("argon2", {"value": h, "encoding": "utf8"})))

    # Plain digests with salts in every encoding and position, and password encodings.
    v.append(vector("custom md4 base64", pw, "custom_password_hash",
                    custom("md4", {"value": b64(md4(pw.encode())), "encoding": "base64"})))
    salt = b"s4lt"
    v.append(vector("custom md5 hex, utf8 salt prefix", pw, "custom_password_hash",
                    custom("md5", {"value": hashlib.md5(salt + pw.encode()).hexdigest(),
                                   "encoding": "hex"},
                           salt={"value": "s4lt", "position": "prefix"})))
    raw_salt = os.urandom(8)
    v.append(vector("custom sha1 base64, hex salt suffix", pw, "custom_password_hash",
                    custom("sha1", {"value": b64(hashlib.sha1(pw.encode() + raw_salt).digest()),
                                    "encoding": "base64"},
                           salt={"value": raw_salt.hex(), "encoding": "hex",
                                 "position": "suffix"})))
    v.append(vector("custom sha256 upper-case hex, base64 salt", pw, "custom_password_hash",
                    custom("sha256", {"value": hashlib.sha256(raw_salt + pw.encode())
                                      .hexdigest().upper(), "encoding": "hex"},
                           salt={"value": b64(raw_salt), "encoding": "base64"})))
    v.append(vector("custom sha512 url-safe base64", pw, "custom_password_hash",
                    custom("sha512", {"value": base64.urlsafe_b64encode(
                        hashlib.sha512(pw.encode()).digest()).decode().rstrip("="),
                        "encoding": "base64"})))
    accented = "pässwörd-123"
    v.append(vector("custom md5 latin1 password", accented, "custom_password_hash",
                    custom("md5", {"value": hashlib.md5(accented.encode("latin-1")).hexdigest(),
                                   "encoding": "hex"},
                           password={"encoding": "latin1"})))
    v.append(vector("custom sha256 utf16le password", accented, "custom_password_hash",
                    custom("sha256", {"value": hashlib.sha256(accented.encode("utf-16-le"))
                                      .hexdigest(), "encoding": "hex"},
                           password={"encoding": "utf16le"})))

    # HMAC with several digests and key encodings.
    key = os.urandom(16)
    v.append(vector("custom hmac sha256 hex key", pw, "custom_password_hash",
                    custom("hmac", {"value": b64(hmac.new(key, pw.encode(), "sha256").digest()),
                                    "encoding": "base64", "digest": "sha256",
                                    "key": {"value": key.hex(), "encoding": "hex"}})))
    v.append(vector("custom hmac md5 utf8 key, salted", pw, "custom_password_hash",
                    custom("hmac", {"value": hmac.new(b"k3y", salt + pw.encode(), "md5")
                                    .hexdigest(), "encoding": "hex", "digest": "md5",
                                    "key": {"value": "k3y"}},
                           salt={"value": "s4lt"})))
    v.append(vector("custom hmac ripemd160 base64 key", pw, "custom_password_hash",
                    custom("hmac", {"value": hmac.new(key, pw.encode(), ripemd160_factory)
                                    .hexdigest(), "encoding": "hex", "digest": "ripemd160",
                                    "key": {"value": b64(key), "encoding": "base64"}})))
    v.append(vector("custom hmac sha1", pw, "custom_password_hash",
                    custom("hmac", {"value": b64(hmac.new(key, pw.encode(), "sha1").digest()),
                                    "encoding": "base64", "digest": "sha1",
                                    "key": {"value": b64(key), "encoding": "base64"}})))

    # LDAP (RFC 2307 userPassword), salted and not.
    ldap_salt = os.urandom(4)
    for scheme, fn, salted in (("MD5", hashlib.md5, False), ("SMD5", hashlib.md5, True),
                               ("SHA", hashlib.sha1, False), ("SSHA", hashlib.sha1, True),
                               ("SHA256", hashlib.sha256, False),
                               ("SSHA384", hashlib.sha384, True),
                               ("SSHA512", hashlib.sha512, True)):
        if salted:
            value = b64(fn(pw.encode() + ldap_salt).digest() + ldap_salt)
        else:
            value = b64(fn(pw.encode()).digest())
        v.append(vector(f"custom ldap {{{scheme}}}", pw, "custom_password_hash",
                        custom("ldap", {"value": f"{{{scheme}}}{value}", "encoding": "utf8"})))

    # PBKDF2 (PHC).
    for digest, i, l in (("sha512", 1000, 64), ("sha256", 2000, 32), ("sha1", 1500, 20),
                         ("md5", 1000, 16)):
        s = os.urandom(12)
        dk = hashlib.pbkdf2_hmac(digest, pw.encode(), s, i, l)
        v.append(vector(f"custom pbkdf2-{digest}", pw, "custom_password_hash",
                        custom("pbkdf2", {"value": f"$pbkdf2-{digest}$i={i},l={l}$"
                                          f"{b64_phc(s)}${b64_phc(dk)}"})))

    # scrypt, hex and base64, with default and explicit parameters.
    dk = hashlib.scrypt(pw.encode(), salt=b"abc123", n=1024, r=8, p=1, dklen=32)
    v.append(vector("custom scrypt hex", pw, "custom_password_hash",
                    custom("scrypt", {"value": dk.hex(), "encoding": "hex"},
                           salt={"value": "abc123", "encoding": "utf8"}, keylen=32, cost=1024)))
    dk = hashlib.scrypt(pw.encode(), salt=raw_salt, n=512, r=4, p=2, dklen=24)
    v.append(vector("custom scrypt base64", pw, "custom_password_hash",
                    custom("scrypt", {"value": b64(dk), "encoding": "base64"},
                           salt={"value": b64(raw_salt), "encoding": "base64"}, keylen=24,
                           cost=512, blockSize=4, parallelization=2)))

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(v, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(v)} vectors written to {OUT}")


class ripemd160_factory:
    """hashlib-compatible RIPEMD-160 for hmac.new (OpenSSL 3 may hide ripemd160)."""

    digest_size = 20
    block_size = 64

    def __init__(self, data=b""):
        self._h = RIPEMD160.new(data)

    def update(self, data):
        self._h.update(data)

    def digest(self):
        return self._h.digest()

    def hexdigest(self):
        return self._h.hexdigest()

    def copy(self):
        c = ripemd160_factory.__new__(ripemd160_factory)
        c._h = self._h.copy()
        return c


if __name__ == "__main__":
    main()
