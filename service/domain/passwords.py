"""Password hashes: argon2id through pwdlib for new hashes; the service's earlier ``scrypt$...`` hashes
still verify and are replaced by argon2id at the user's next successful login."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher

# OWASP's first argon2id setting (19 MiB, 2 passes, 1 lane): about the memory and time of the scrypt
# (n=2**14, 16 MiB) it replaces. pwdlib's default (64 MiB, 4 lanes) took 0.2-0.3 s per login on a 2-core
# host and multiplies memory per concurrent attempt on an endpoint anyone can call; the limits on failed
# logins, not the hash, are what stop online guessing. Raising these later rehashes at the next login.
ARGON2 = Argon2Hasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class LegacyScrypt:
    """Verifies the hashes the service wrote before argon2id: ``scrypt$n$r$p$salt$digest`` (hex)."""

    @classmethod
    def identify(cls, hash: str | bytes) -> bool:
        return (hash.decode(errors="replace") if isinstance(hash, bytes) else hash).startswith("scrypt$")

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        raise NotImplementedError("scrypt hashes are only verified, never written")

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        stored = hash.decode() if isinstance(hash, bytes) else hash
        secret = password.encode() if isinstance(password, str) else password
        try:
            _, n, r, p, salt, digest = stored.split("$")
            candidate = hashlib.scrypt(secret, salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
        except ValueError:
            return False
        return hmac.compare_digest(candidate.hex(), digest)

    def check_needs_rehash(self, hash: str | bytes) -> bool:
        return True


HASHER = PasswordHash((ARGON2, LegacyScrypt()))


def hash_password(password: str) -> str:
    return HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def verify_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """Whether the password matches, and a new hash to store when the old one is outdated.

    A missing or unreadable hash costs the same work as a real one (a dummy argon2id hash is checked),
    so the answer's timing does not tell whether an account exists or has a password."""
    if not stored:
        HASHER.verify(password, _dummy_hash())
        return False, None
    try:
        return HASHER.verify_and_update(password, stored)
    except PwdlibError:
        HASHER.verify(password, _dummy_hash())
        return False, None


def spend_equal_work(password: str) -> None:
    """The work of checking one password, for logins whose answer is already known (no such user)."""
    HASHER.verify(password, _dummy_hash())
