import pytest

from core import crypto


@pytest.fixture(autouse=True)
def _fresh_keys(settings):
    settings.FIELD_ENCRYPTION_KEY = "key-one"
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    settings.FIELD_HASH_KEY = ""
    crypto.reset_keys()
    yield
    crypto.reset_keys()


def test_encrypt_round_trip_and_ciphertext_hides_the_value():
    token = crypto.encrypt("41100219900307123X")
    assert "41100219900307123X" not in token
    assert crypto.decrypt(token) == "41100219900307123X"


def test_same_value_encrypts_differently_but_hashes_the_same():
    assert crypto.encrypt("x") != crypto.encrypt("x")
    assert crypto.keyed_hash("x") == crypto.keyed_hash("x")
    assert crypto.keyed_hash("x") != crypto.keyed_hash("y")


def test_rotation_keeps_old_tokens_readable_and_moves_them_to_the_new_key(settings):
    old_token = crypto.encrypt("secret")
    settings.FIELD_HASH_KEY = "key-one"  # the hash key stays put across the rotation
    old_hash = crypto.keyed_hash("secret")
    settings.FIELD_ENCRYPTION_KEY = "key-two"
    settings.FIELD_ENCRYPTION_OLD_KEYS = ["key-one"]
    crypto.reset_keys()
    assert crypto.decrypt(old_token) == "secret"
    new_token = crypto.rotate(old_token)
    assert crypto.keyed_hash("secret") == old_hash
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    crypto.reset_keys()
    assert crypto.decrypt(new_token) == "secret"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt(old_token)


def test_the_hash_depends_on_the_key(settings):
    first = crypto.keyed_hash("410002199003071234")
    settings.FIELD_ENCRYPTION_KEY = "another"
    crypto.reset_keys()
    assert crypto.keyed_hash("410002199003071234") != first
