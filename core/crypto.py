"""Field-level protection for resident ID numbers and bank account numbers.

A protected value is stored twice: encrypted (Fernet, so it can be shown to a role that may see
it) and as a keyed hash (HMAC-SHA256, so it can be unique and looked up without decrypting).
Keys come from the environment: ``FIELD_ENCRYPTION_KEY`` (current) and
``FIELD_ENCRYPTION_OLD_KEYS`` (comma-separated, still accepted for decryption during a rotation).
With neither set (development) the key is derived from SECRET_KEY.

The hash key is derived from the *first* key ever used and must not rotate with the encryption
key, or every uniqueness check would break; ``FIELD_HASH_KEY`` may set it explicitly.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _derive(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


def _fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(_derive(secret, "xuchang.field-encryption"))


@cache
def _fernet() -> MultiFernet:
    current = settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY
    if not current:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set")
    old = [k for k in getattr(settings, "FIELD_ENCRYPTION_OLD_KEYS", []) if k]
    return MultiFernet([Fernet(_fernet_key(k)) for k in [current, *old]])


@cache
def _hash_key() -> bytes:
    secret = (
        getattr(settings, "FIELD_HASH_KEY", "")
        or settings.FIELD_ENCRYPTION_KEY
        or settings.SECRET_KEY
    )
    return _derive(secret, "xuchang.field-hash")


@cache
def _keyed_hasher() -> hmac.HMAC:
    # Keyed once; each hash copies it (an import hashes thousands of ID numbers).
    return hmac.new(_hash_key(), digestmod=hashlib.sha256)


def reset_keys() -> None:
    """Forget cached keys (tests and the rotation command change settings at run time)."""
    _fernet.cache_clear()
    _hash_key.cache_clear()
    _keyed_hasher.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Raises ValueError when no configured key opens the token."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("encrypted value cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the current key (it may have been made with an old one)."""
    return _fernet().rotate(token.encode()).decode()


def keyed_hash(plaintext: str) -> str:
    hasher = _keyed_hasher().copy()
    hasher.update(plaintext.encode())
    return hasher.hexdigest()
