"""``layan backup`` and ``layan restore``: a round trip on SQLite (and on PostgreSQL when it is
reachable, on a throwaway database), a restore onto S3 of a backup taken on the disk, the
refusals (a database in use without --force, a damaged or tampered archive, no pg_dump)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import uuid

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.management import CommandError, call_command
from django.db import connection, connections

from layan.core import backup
from tests import s3server
from tests.factories import make_office

FILES = {
    "documents/2026/3f2a.pdf": b"%PDF-1.7 signed " + bytes(range(256)) * 40,
    "cases/KK-0001/ktp.jpg": b"\xff\xd8\xff jpeg bytes",
    "whatsapp/2026/05/20260501-abc.ogg": b"OggS voice",
}


def row_counts(using: str = "default") -> dict[str, int]:
    return {
        model._meta.label: model.objects.using(using).count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def stored(storage) -> dict[str, bytes]:
    result = {}
    for name in backup.stored_files(storage):
        with storage.open(name, "rb") as handle:
            result[name] = handle.read()
    return result


def wipe_files(storage) -> None:
    for name in list(backup.stored_files(storage)):
        storage.delete(name)


@pytest.fixture
def installation(transactional_db, settings, tmp_path):
    """An office with staff, and files in a local storage of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    make_office("waykanan")
    user_model = get_user_model()
    for index in range(3):
        user_model.objects.create_user(f"petugas{index}", password="x")
    wipe_files(default_storage)
    for name, content in FILES.items():
        default_storage.save(name, ContentFile(content))
    return tmp_path


def test_a_round_trip_on_sqlite_brings_back_every_row_and_file(installation):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite round trip")
    before = row_counts()
    assert before["offices.Office"] == 1 and before["auth.User"] == 3
    archive = installation / "layan.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert archive.is_file() and out.getvalue()

    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[0] == "database.sqlite3" and names[-1] == "manifest.json"
    assert sorted(names[1:-1]) == sorted(f"files/{name}" for name in FILES)
    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["file_count"] == len(FILES) and manifest["layan_version"]
    assert manifest["created_at"]
    assert set(manifest["members"]) == set(names[:-1])
    assert all(len(m["sha256"]) == 64 for m in manifest["members"].values())

    # A database in use is not replaced without --force (and nothing changed).
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(archive)
    assert refused.value.code == "database_not_empty"
    with pytest.raises(CommandError):
        call_command("restore", str(archive), stdout=io.StringIO())

    call_command("flush", interactive=False, verbosity=0)
    wipe_files(default_storage)
    get_user_model().objects.create_user("setelah-cadangan", password="x")  # gone after restore
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert row_counts() == before
    assert not get_user_model().objects.filter(username="setelah-cadangan").exists()
    assert stored(default_storage) == FILES

    # Restoring again with every file already in place keeps them (same bytes, same names).
    backup.restore_backup(archive, force=True)
    assert stored(default_storage) == FILES


def test_an_empty_database_needs_no_force(installation):
    archive = installation / "layan.tar.gz"
    backup.create_backup(archive)
    before = row_counts()
    call_command("flush", interactive=False, verbosity=0)
    assert not backup.database_has_data(connection)
    summary = backup.restore_backup(archive)
    assert sorted(summary.files) == sorted(FILES)
    assert row_counts() == before


def _rewrite(source, target, change) -> None:
    """Copy the archive ``source`` to ``target``, each member's bytes passed through ``change``."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def test_a_damaged_or_tampered_archive_is_refused_and_nothing_is_restored(installation):
    archive = installation / "layan.tar.gz"
    backup.create_backup(archive)
    call_command("flush", interactive=False, verbosity=0)
    wipe_files(default_storage)
    after_wipe = row_counts()

    truncated = installation / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    flipped = installation / "flipped.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped.write_bytes(bytes(data))
    tampered = installation / "tampered.tar.gz"
    _rewrite(
        archive,
        tampered,
        lambda name, body: body.replace(b"jpeg", b"JPEG") if name.endswith(".jpg") else body,
    )
    unlisted = installation / "unlisted.tar.gz"
    _rewrite(
        archive,
        unlisted,
        lambda name, body: body if name != "manifest.json" else _drop_member(body),
    )
    not_gzip = installation / "plain.tar.gz"
    not_gzip.write_bytes(b"this is not an archive")
    no_manifest = installation / "empty.tar.gz"
    with gzip.open(no_manifest, "wb") as handle, tarfile.open(fileobj=handle, mode="w"):
        pass

    for bad in (truncated, flipped, tampered, unlisted, not_gzip, no_manifest):
        with pytest.raises(backup.BackupError) as refused:
            backup.restore_backup(bad)
        assert refused.value.code == "archive_damaged", bad.name
        with pytest.raises(CommandError):
            call_command("restore", str(bad), stdout=io.StringIO())
    assert row_counts() == after_wipe
    assert stored(default_storage) == {}


def _drop_member(manifest: bytes) -> bytes:
    body = json.loads(manifest)
    body["members"].pop(next(name for name in body["members"] if name.endswith(".ogg")))
    return json.dumps(body).encode()


def test_the_backup_command_does_not_overwrite_an_archive(installation):
    archive = installation / "layan.tar.gz"
    archive.write_bytes(b"older")
    with pytest.raises(CommandError):
        call_command("backup", str(archive), stdout=io.StringIO())
    assert archive.read_bytes() == b"older"


@pytest.mark.skipif(not s3server.available(), reason="moto's S3 server is not installed")
def test_a_backup_taken_on_the_disk_restores_onto_s3(installation, settings):
    archive = installation / "layan.tar.gz"
    backup.create_backup(archive)
    before = row_counts()
    call_command("flush", interactive=False, verbosity=0)

    bucket = s3server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "default": s3server.storage(bucket, "media")}
    assert storages["default"].__class__.__name__ == "S3Storage"
    summary = backup.restore_backup(archive)
    assert sorted(summary.files) == sorted(FILES)
    assert row_counts() == before
    assert stored(default_storage) == FILES
    keys = {o["Key"] for o in s3server.client().list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {f"media/{name}" for name in FILES}

    # ... and a backup of the S3 storage holds the same files.
    again = installation / "from-s3.tar.gz"
    manifest = backup.create_backup(again)
    assert manifest["file_count"] == len(FILES)
    with tarfile.open(again, "r:gz") as tar:
        assert (
            tar.extractfile("files/documents/2026/3f2a.pdf").read()
            == FILES["documents/2026/3f2a.pdf"]
        )


# -- PostgreSQL ------------------------------------------------------------------------------

PG = {"HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres", "PASSWORD": ""}


def _postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(
            host=PG["HOST"], port=PG["PORT"], user=PG["USER"], dbname="postgres", connect_timeout=3
        ).close()
    except Exception:  # noqa: BLE001 - any failure means: not here
        return False
    return True


@pytest.fixture
def throwaway_postgres(django_db_blocker):
    """A Django connection ``backup_pg`` to a new PostgreSQL database, dropped afterwards (the
    test database of the suite is not touched, so no test case wraps this one)."""
    if not _postgres_reachable():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    name = f"layan_backup_{uuid.uuid4().hex[:10]}"
    admin = dict(host=PG["HOST"], port=PG["PORT"], user=PG["USER"], dbname="postgres")
    with psycopg.connect(**admin, autocommit=True, connect_timeout=5) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    alias = "backup_pg"
    config = connections.configure_settings(
        {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": name, **PG}}
    )["default"]
    connections.settings[alias] = config
    try:
        with django_db_blocker.unblock():
            yield connections[alias]
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]
        with psycopg.connect(**admin, autocommit=True, connect_timeout=5) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_rows(connection) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, photo FROM kantor ORDER BY id")
        return cursor.fetchall()


@pytest.mark.postgres
def test_a_round_trip_on_postgresql(throwaway_postgres, settings, tmp_path):
    pg = throwaway_postgres
    settings.MEDIA_ROOT = tmp_path / "media"
    with pg.cursor() as cursor:
        cursor.execute("CREATE TABLE kantor (id serial PRIMARY KEY, name text, photo bytea)")
        for index in range(50):
            cursor.execute(
                "INSERT INTO kantor (name, photo) VALUES (%s, %s)",
                [f"Disdukcapil {index}", bytes([index]) * 100],
            )
    before = _pg_rows(pg)
    wipe_files(default_storage)
    for name, content in FILES.items():
        default_storage.save(name, ContentFile(content))
    archive = tmp_path / "pg.tar.gz"
    manifest = backup.create_backup(archive, using="backup_pg")
    assert manifest["database"] == {"vendor": "postgresql", "member": "database.pgdump"}

    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(archive, using="backup_pg")
    assert refused.value.code == "database_not_empty"

    with pg.cursor() as cursor:
        cursor.execute("DELETE FROM kantor WHERE id > 10")
        cursor.execute("CREATE TABLE later (id int)")
    wipe_files(default_storage)
    call_command("restore", str(archive), "--force", "--database=backup_pg", stdout=io.StringIO())
    assert _pg_rows(pg) == before
    assert stored(default_storage) == FILES

    # A PostgreSQL backup does not go into another kind of database.
    if connection.vendor != "postgresql":
        with pytest.raises(backup.BackupError) as mismatch:
            backup.restore_backup(archive, using="default", force=True)
        assert mismatch.value.code == "database_mismatch"


@pytest.mark.postgres
def test_without_pg_dump_the_backup_says_what_to_install(throwaway_postgres, tmp_path, monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda program: None)
    with pytest.raises(backup.BackupError) as missing:
        backup.create_backup(tmp_path / "pg.tar.gz", using="backup_pg")
    assert missing.value.code == "program_missing" and "pg_dump" in str(missing.value)
    assert not list(tmp_path.iterdir())
