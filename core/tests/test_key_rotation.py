"""Key rotation: ``manage.py rotate_field_keys`` re-encrypts every ``*_encrypted`` value under the
new key, after which the old key can be dropped; hashes (uniqueness, lookup) do not change."""

import io

import pytest
from django.core.management import call_command

from core import crypto
from core.models import AuditEvent
from core.services import encrypted_fields
from training.models import Institution, Worker
from training.tests.workers_samples import make_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(settings):
    settings.FIELD_ENCRYPTION_KEY = "old-key"
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    settings.FIELD_HASH_KEY = "hash-key"
    crypto.reset_keys()
    yield settings
    crypto.reset_keys()


def _worker(serial: int) -> Worker:
    number = make_id(serial)
    return Worker.objects.create(
        id_number_hash=crypto.keyed_hash(number),
        id_number_encrypted=crypto.encrypt(number),
        id_number_masked=number[:4] + "*" * 10 + number[-4:],
        name=f"测试{serial}",
        sex="M",
        birth_date="1990-01-01",
        household="urban",
        education="senior",
    )


def test_every_protected_field_is_found():
    labels = {(model._meta.label, tuple(names)) for model, names in encrypted_fields()}
    assert ("training.Worker", ("id_number_encrypted",)) in labels
    assert ("training.Institution", ("bank_account_encrypted",)) in labels
    assert ("subsidies.SubsidyClaim", ("account_encrypted",)) in labels
    assert ("core.PaymentLine", ("account_encrypted",)) in labels


def test_rotation_lets_the_old_key_go(plan, keys):
    workers = [_worker(n) for n in range(1, 4)]
    numbers = [crypto.decrypt(w.id_number_encrypted) for w in workers]
    hashes = [w.id_number_hash for w in workers]
    institution = Institution.objects.order_by("pk").first()
    institution.bank_account_encrypted = crypto.encrypt("6222021234567890128")
    institution.save()

    # The new key arrives; the old one still opens what is stored.
    keys.FIELD_ENCRYPTION_KEY = "new-key"
    keys.FIELD_ENCRYPTION_OLD_KEYS = ["old-key"]
    out = io.StringIO()
    call_command("rotate_field_keys", "--batch-size", "2", stdout=out)
    assert "training.Worker: 3" in out.getvalue()
    assert AuditEvent.objects.filter(action="crypto.rotate").count() >= 2

    # The old key is dropped: everything still opens, hashes are unchanged.
    keys.FIELD_ENCRYPTION_OLD_KEYS = []
    crypto.reset_keys()
    for worker, number, digest in zip(workers, numbers, hashes, strict=True):
        worker.refresh_from_db()
        assert crypto.decrypt(worker.id_number_encrypted) == number
        assert worker.id_number_hash == digest == crypto.keyed_hash(number)
    institution.refresh_from_db()
    assert crypto.decrypt(institution.bank_account_encrypted) == "6222021234567890128"


def test_without_rotation_the_old_key_cannot_be_dropped(plan, keys):
    """The control: skip the command and the stored values no longer open."""
    worker = _worker(7)
    keys.FIELD_ENCRYPTION_KEY = "new-key"
    keys.FIELD_ENCRYPTION_OLD_KEYS = []
    crypto.reset_keys()
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt(worker.id_number_encrypted)


def test_an_unreadable_value_leaves_that_table_as_it_was(plan, keys):
    worker = _worker(9)
    before = worker.id_number_encrypted
    keys.FIELD_ENCRYPTION_KEY = "new-key"
    keys.FIELD_ENCRYPTION_OLD_KEYS = []  # the old key was dropped too early
    with pytest.raises(Exception):  # noqa: B017, PT011 - cryptography's InvalidToken
        call_command("rotate_field_keys", stdout=io.StringIO())
    worker.refresh_from_db()
    assert worker.id_number_encrypted == before
