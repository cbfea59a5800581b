"""One-way hashing: known vectors for every algorithm, key handling, hashing before export."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest

from otel_product_events.attributes import hashed
from otel_product_events.privacy import hashing
from tests.helpers import last_json_line, run_python

FOX = "The quick brown fox jumps over the lazy dog"
KEY = "k" * 16  # the shortest key accepted


class TestDigests:
    @pytest.mark.parametrize(("algorithm", "key", "value", "expected"), [
        # RFC 4231-style public vectors (Wikipedia's HMAC page), FIPS 180-2, RFC 1321.
        ("hmac-sha256", b"key", FOX,
         "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"),
        ("sha256", None, "abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("md5", None, "", "d41d8cd98f00b204e9800998ecf8427e"),
        ("md5", None, FOX, "9e107d9d372bb6826bd81d3542a419d6"),
    ])
    def test_known_vectors(self, algorithm: str, key: bytes | None, value: str,
                           expected: str) -> None:
        assert hashing.digest(algorithm, key, value) == expected

    def test_non_strings_hash_their_text(self) -> None:
        """42 hashes like "42": the digest of str() of the value, as the docs say."""
        assert hashing.digest("sha256", None, 42) == hashlib.sha256(b"42").hexdigest()

    def test_utf8_text_is_hashed(self) -> None:
        assert hashing.digest("sha256", None, "é") == hashlib.sha256("é".encode()).hexdigest()

    def test_hmac_without_a_key_is_refused(self) -> None:
        with pytest.raises(ValueError, match="needs a key"):
            hashing.digest("hmac-sha256", None, "x")

    def test_unknown_algorithm(self) -> None:
        with pytest.raises(ValueError, match="hmac-sha256, sha256, md5"):
            hashing.digest("sha1", None, "x")

    def test_hashed_never_shows_its_value(self) -> None:
        assert "secret" not in repr(hashed("secret@example.com"))


HASH_ONE = """
import json
from otel_product_events.privacy.hashing import hash_value
print(json.dumps({"digest": hash_value("user-42")}))
"""


class TestKeys:
    def test_default_key_is_random_persisted_and_private(self, tmp_path: Path) -> None:
        """Without a configured key, one is made once, kept 0600 beside the installation id,
        and reused by the next process; another installation gets another key."""
        env = {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "a")}
        first = last_json_line(run_python(HASH_ONE, env))["digest"]
        assert last_json_line(run_python(HASH_ONE, env))["digest"] == first
        key_file = tmp_path / "a" / "hash-key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = bytes.fromhex(key_file.read_text().strip())
        assert first == hmac.new(key, b"user-42", hashlib.sha256).hexdigest()
        other = last_json_line(run_python(
            HASH_ONE, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "b")}))["digest"]
        assert other != first

    def test_key_and_algorithm_from_the_environment(self, tmp_path: Path) -> None:
        env = {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path), "OTEL_PRODUCT_EVENTS_HASH_KEY": KEY}
        assert last_json_line(run_python(HASH_ONE, env))["digest"] == hmac.new(
            KEY.encode(), b"user-42", hashlib.sha256).hexdigest()
        assert not (tmp_path / "hash-key").exists()
        env["OTEL_PRODUCT_EVENTS_HASH_ALGORITHM"] = "md5"
        assert last_json_line(run_python(HASH_ONE, env))["digest"] == hashlib.md5(
            b"user-42").hexdigest()

    def test_a_bad_algorithm_variable_warns_and_keeps_the_default(self, tmp_path: Path) -> None:
        env = {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path), "OTEL_PRODUCT_EVENTS_HASH_KEY": KEY,
               "OTEL_PRODUCT_EVENTS_HASH_ALGORITHM": "sha1"}
        process = run_python(HASH_ONE, env)
        assert last_json_line(process)["digest"] == hmac.new(KEY.encode(), b"user-42",
                                                             hashlib.sha256).hexdigest()
        assert "is not one of hmac-sha256, sha256, md5" in process.stderr
