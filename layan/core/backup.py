"""Backing up and restoring an installation: the database and every stored file in one archive.

``layan backup OUTPUT.tar.gz`` writes a gzipped tar with

- ``database.pgdump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite,
  a copy made with the online backup API, consistent while the site runs);
- ``files/<name>`` for every file of the default storage (walked with ``listdir``, so the same on
  the local disk and on S3);
- ``manifest.json`` last: when it was made, the Layan version, the database vendor, the number of
  files and the size and SHA-256 of every other member.

``layan restore INPUT.tar.gz`` checks the archive against its manifest before changing anything,
refuses a database that already holds data unless forced, loads the database (``pg_restore
--clean --if-exists`` in one transaction, or the SQLite backup API into the database), then puts
every file back under its own name into the storage configured now: an archive made on the local
disk restores onto S3 (docs/storage-and-backup.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

MANIFEST = "manifest.json"
FILES = "files/"
FORMAT = 1
DUMPS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024
# Tables every migrated database fills by itself: rows there do not make a database "in use".
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
COMMAND_SECONDS = 6 * 3600  # pg_dump / pg_restore of a large database


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, the code for
    programs: ``database_unsupported``, ``program_missing``, ``program_failed``,
    ``archive_damaged``, ``database_mismatch``, ``database_not_empty``, ``file_not_stored``."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass
class Summary:
    manifest: dict
    files: list[str] = field(default_factory=list)


def layan_version() -> str:
    try:
        return metadata.version("layan")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256(handle: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _connection(using: str):
    connection = connections[using]
    if connection.vendor not in DUMPS:
        raise BackupError(
            _("This database (%(vendor)s) cannot be backed up: only PostgreSQL and SQLite.")
            % {"vendor": connection.vendor},
            "database_unsupported",
        )
    return connection


# -- the files -----------------------------------------------------------------------------


def stored_files(storage: Storage, path: str = "") -> Iterator[str]:
    """Every file name in ``storage``, depth first, sorted (works on the disk and on S3)."""
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:  # a local storage whose directory was never made
        return
    for name in sorted(files):
        yield f"{path}/{name}" if path else name
    for directory in sorted(directories):
        yield from stored_files(storage, f"{path}/{directory}" if path else directory)


def _put_file(storage: Storage, name: str, source: IO[bytes], sha256: str) -> None:
    """Store ``source`` under exactly ``name`` (the database points at it), replacing a
    different file of that name; a file already there with the same bytes stays."""
    if storage.exists(name):
        with storage.open(name, "rb") as handle:
            if _sha256(handle)[0] == sha256:
                return
        storage.delete(name)
    saved = storage.save(name, File(source, name=name))
    if saved != name:
        storage.delete(saved)
        raise BackupError(
            _(
                "The file %(name)s could not be stored under its own name (the storage chose "
                "%(saved)s)."
            )
            % {"name": name, "saved": saved},
            "file_not_stored",
        )


# -- the database --------------------------------------------------------------------------


def _pg_environment(settings: dict) -> tuple[list[str], dict]:
    """Connection arguments and environment for pg_dump / pg_restore from DATABASES."""
    options = settings.get("OPTIONS") or {}
    args = []
    if settings.get("HOST"):
        args += ["--host", str(settings["HOST"])]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", str(settings["USER"])]
    environment = dict(os.environ)
    if settings.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings["PASSWORD"])
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ):
        if options.get(option):
            environment[variable] = str(options[option])
    return args, environment


def _run(program: str, args: list[str], environment: dict) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            _(
                "%(program)s was not found. Install the PostgreSQL client tools (the same major "
                "version as the server, or newer) and try again."
            )
            % {"program": program},
            "program_missing",
        )
    try:
        result = subprocess.run(  # noqa: S603 - a fixed program with arguments, no shell
            [executable, *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(
            _("%(program)s did not finish in time.") % {"program": program}, "program_failed"
        ) from None
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {"program": program, "error": result.stderr.strip()[-2000:]},
            "program_failed",
        )


def dump_database(connection, target: Path) -> None:
    """Write the database of ``connection`` to ``target`` (custom-format dump or SQLite file)."""
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        args, environment = _pg_environment(settings)
        _run(
            "pg_dump",
            [*args, "--format=custom", "--no-password", f"--file={target}", settings["NAME"]],
            environment,
        )
        return
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()


def load_database(connection, source: Path) -> None:
    """Replace the database of ``connection`` by the dump in ``source``."""
    connection.close()
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        args, environment = _pg_environment(settings)
        _run(
            "pg_restore",
            [
                *args,
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                "--no-password",
                f"--dbname={settings['NAME']}",
                str(source),
            ],
            environment,
        )
        return
    connection.ensure_connection()
    origin = sqlite3.connect(source)
    try:
        origin.backup(connection.connection)
    finally:
        origin.close()
    connection.close()


def database_has_data(connection) -> bool:
    """Whether any table beyond the framework's bookkeeping holds a row."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            if table in BOOKKEEPING_TABLES or table.startswith("sqlite_"):
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                return True
    return False


# -- backup --------------------------------------------------------------------------------


def _add(archive: tarfile.TarFile, name: str, handle: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    archive.addfile(info, handle)


def create_backup(output: Path, *, using: str = "default", storage: Storage | None = None) -> dict:
    """Write the database and every stored file to ``output`` (.tar.gz); the manifest."""
    storage = storage or default_storage
    connection = _connection(using)
    output = Path(output)
    members: dict[str, dict] = {}
    partial = output.with_name(output.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="layan-backup-") as work:
        dump = Path(work) / DUMPS[connection.vendor]
        dump_database(connection, dump)
        try:
            with tarfile.open(partial, "w:gz") as archive:
                with dump.open("rb") as handle:
                    sha256, size = _sha256(handle)
                    handle.seek(0)
                    _add(archive, dump.name, handle, size)
                members[dump.name] = {"sha256": sha256, "size": size}
                for name in stored_files(storage):
                    # Spooled: the bytes are read once, hashed and then written to the archive.
                    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK, dir=work) as copy:
                        with storage.open(name, "rb") as handle:
                            while chunk := handle.read(CHUNK):
                                copy.write(chunk)
                        copy.seek(0)
                        sha256, size = _sha256(copy)
                        copy.seek(0)
                        _add(archive, FILES + name, copy, size)
                    members[FILES + name] = {"sha256": sha256, "size": size}
                manifest = {
                    "format": FORMAT,
                    "created_at": timezone.now().isoformat(),
                    "layan_version": layan_version(),
                    "database": {"vendor": connection.vendor, "member": dump.name},
                    "file_count": sum(1 for name in members if name.startswith(FILES)),
                    "members": members,
                }
                body = json.dumps(manifest, indent=2, sort_keys=True).encode()
                _add(archive, MANIFEST, io.BytesIO(body), len(body))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(output)
    return manifest


# -- restore -------------------------------------------------------------------------------


def _corrupt(detail: str) -> BackupError:
    return BackupError(
        _("The backup archive is damaged or not a Layan backup (%(detail)s). Nothing was restored.")
        % {"detail": detail},
        "archive_damaged",
    )


def _member_name_is_safe(name: str) -> bool:
    parts = name.split("/")
    return not name.startswith("/") and ".." not in parts and "" not in parts


def verify_backup(source: Path) -> dict:
    """The archive's manifest, once every member matches its size and checksum."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            manifest_member = None
            seen: dict[str, tuple[str, int]] = {}
            for member in archive:
                if not member.isfile() or not _member_name_is_safe(member.name):
                    raise _corrupt(_("unexpected member %(name)s") % {"name": member.name})
                handle = archive.extractfile(member)
                if member.name == MANIFEST:
                    manifest_member = handle.read()
                    continue
                seen[member.name] = _sha256(handle)
    except (OSError, EOFError, tarfile.TarError, ValueError) as error:  # gzip/tar damage
        raise _corrupt(str(error) or error.__class__.__name__) from None
    if manifest_member is None:
        raise _corrupt(_("no manifest"))
    try:
        manifest = json.loads(manifest_member)
        members = manifest["members"]
        vendor = manifest["database"]["vendor"]
        dump = manifest["database"]["member"]
    except (ValueError, KeyError, TypeError):
        raise _corrupt(_("unreadable manifest")) from None
    if manifest.get("format") != FORMAT or DUMPS.get(vendor) != dump or dump not in members:
        raise _corrupt(_("unknown manifest format"))
    if set(seen) != set(members):
        missing = sorted(set(members) - set(seen)) + sorted(set(seen) - set(members))
        raise _corrupt(_("members do not match the manifest: %(names)s") % {"names": missing[0]})
    for name, (sha256, size) in seen.items():
        if members[name].get("sha256") != sha256 or members[name].get("size") != size:
            raise _corrupt(_("checksum mismatch of %(name)s") % {"name": name})
    return manifest


def restore_backup(
    source: Path, *, using: str = "default", storage: Storage | None = None, force: bool = False
) -> Summary:
    """Load the database and put back the files of the archive ``source``."""
    storage = storage or default_storage
    connection = _connection(using)
    manifest = verify_backup(source)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            _(
                "This backup holds a %(backup)s database; the configured database is %(current)s. "
                "Restore it onto the same kind of database."
            )
            % {"backup": vendor, "current": connection.vendor},
            "database_mismatch",
        )
    if not force and database_has_data(connection):
        raise BackupError(
            _(
                "The database already holds data. Restoring would replace it: run again with "
                "--force if that is what you want."
            ),
            "database_not_empty",
        )
    summary = Summary(manifest=manifest)
    with tempfile.TemporaryDirectory(prefix="layan-restore-") as work:
        dump = Path(work) / manifest["database"]["member"]
        with tarfile.open(source, "r:gz") as archive:
            extracted = archive.extractfile(manifest["database"]["member"])
            with dump.open("wb") as handle:
                shutil.copyfileobj(extracted, handle, CHUNK)
        load_database(connection, dump)
        dump.unlink()
        with tarfile.open(source, "r:gz") as archive:
            for member in archive:
                if not member.name.startswith(FILES):
                    continue
                name = member.name[len(FILES) :]
                sha256 = manifest["members"][member.name]["sha256"]
                with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK, dir=work) as copy:
                    shutil.copyfileobj(archive.extractfile(member), copy, CHUNK)
                    copy.seek(0)
                    _put_file(storage, name, copy, sha256)
                summary.files.append(name)
    return summary
