"""The workspace's dataset folders: browsing, new folders, and uploads confined to datasets_dir and checked."""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from simpletuner.libs.rpc.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tiff"})
CAPTION_SUFFIXES = frozenset({".txt"})
DATA_SUFFIXES = frozenset({".txt", ".json", ".jsonl", ".csv", ".parquet"})
ALLOWED_SUFFIXES = IMAGE_SUFFIXES | DATA_SUFFIXES
ALLOWED_TEXT = "images (" + " ".join(sorted(IMAGE_SUFFIXES)) + ") and " + " ".join(sorted(DATA_SUFFIXES))
# uploads are assembled here, on datasets_dir's own disk, so moving them into place is a rename
UPLOADS_DIR = ".uploads"
COPY_CHUNK_BYTES = 1024 * 1024
# members below this size may compress extremely well (blank captions) without being a bomb
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_NAME_BYTES = 255  # the file-name limit of the usual Linux, macOS and Windows file systems
MAX_REPORTED = 100  # skipped files are listed one by one up to this many, then only counted
DRIVE = re.compile(r"^[A-Za-z]:")
ZIP_ENCRYPTED = 0x1
ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may hold (from ConfigSettings' upload_* settings)."""

    max_file_bytes: int
    max_archive_entries: int
    max_extracted_bytes: int
    max_compression_ratio: int


@dataclass(frozen=True)
class Entry:
    """One file or folder of a listing; counts are of a folder's direct children."""

    name: str
    path: str
    is_dir: bool
    size_bytes: int = 0
    image_count: int = 0
    caption_count: int = 0


@dataclass(frozen=True)
class Listing:
    path: str
    parent: str | None
    root: Path
    entries: list[Entry]


@dataclass
class UploadSummary:
    target_path: str
    files_uploaded: int = 0
    files_skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def skip(self, name: str, why: str) -> None:
        self.files_skipped += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(f"{name}: {why}")
        elif len(self.errors) == MAX_REPORTED:
            self.errors.append("further skipped files are counted, not listed")


def check_component(name: str, what: str) -> str:
    """`name` if it is one safe path component, else InvalidArgument saying what to send."""
    if not name or name in (".", "..") or any(c in name for c in "/\\\0") or DRIVE.match(name):
        raise InvalidArgument(f"{what} {name!r} must be a single name, without '/', '\\' or '..'", field=what)
    if len(name.encode()) > MAX_NAME_BYTES:
        raise InvalidArgument(f"{what} is longer than {MAX_NAME_BYTES} bytes; shorten it", field=what)
    return name


def check_name(name: str, what: str) -> str:
    """`name` if it is one safe path component and not hidden (hidden names, like .uploads, are ours)."""
    if check_component(name, what).startswith("."):
        raise InvalidArgument(f"{what} {name!r} starts with '.': hidden names are reserved", field=what)
    return name


def relative_parts(relative: str, what: str) -> tuple[str, ...]:
    """The components of a caller's path under datasets_dir (empty: datasets_dir itself)."""
    if relative.startswith("/") or "\\" in relative or DRIVE.match(relative):
        raise InvalidArgument(
            f"{what} {relative!r} must be relative to datasets_dir, like 'my-dataset/images'", field=what
        )
    parts = tuple(part for part in relative.split("/") if part not in ("", "."))
    if ".." in parts:
        raise InvalidArgument(f"{what} {relative!r} may not contain '..': paths stay inside datasets_dir", field=what)
    return tuple(check_name(part, what) for part in parts)


def skip_reason(parts: tuple[str, ...]) -> str:
    """Why a file is not stored ("" when it is): hidden, or not a dataset file type."""
    if any(part.startswith(".") or part == "__MACOSX" for part in parts):
        return "hidden or system file"
    if PurePosixPath(parts[-1]).suffix.lower() not in ALLOWED_SUFFIXES:
        return f"not a dataset file type (allowed: {ALLOWED_TEXT})"
    return ""


class DatasetFolders:
    """datasets_dir and everything under it: no path a caller sends leads outside it, links included."""

    def __init__(self, root: Path | Callable[[], Path], limits: UploadLimits) -> None:
        """`root`: datasets_dir, or a callable answering where it is now (an administrator may move it)."""
        self._root = root
        self.limits = limits

    @property
    def root(self) -> Path:
        return (self._root() if callable(self._root) else self._root).resolve()

    def resolve(self, relative: str, what: str = "path") -> Path:
        return self.confine(self.root.joinpath(*relative_parts(relative, what)), relative)

    def confine(self, path: Path, shown: str) -> Path:
        """The real location of `path`, refused when a symbolic link leads it outside datasets_dir."""
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a link loop
            raise InvalidArgument(f"{shown!r} cannot be resolved (a symbolic link loop?)") from None
        if not real.is_relative_to(self.root):
            raise PermissionDenied(f"{shown!r} leads outside datasets_dir through a symbolic link; use a real folder")
        return real

    def relative(self, path: Path) -> str:
        relative = path.relative_to(self.root).as_posix()
        return "" if relative == "." else relative

    def browse(self, relative: str) -> Listing:
        folder = self.resolve(relative)
        if folder == self.root and not folder.exists():
            return Listing("", None, self.root, [])
        if not folder.is_dir():
            raise NotFound(f"folder {relative!r} does not exist under datasets_dir")
        entries = [entry for child in folder.iterdir() if (entry := self._entry(child))]
        entries.sort(key=lambda e: (not e.is_dir, e.name.lower()))
        parent = None if folder == self.root else self.relative(folder.parent)
        return Listing(self.relative(folder), parent, self.root, entries)

    def _entry(self, path: Path) -> Entry | None:
        """A listing entry; hidden entries and links leading outside are left out (they cannot be used)."""
        if path.name.startswith("."):
            return None
        try:
            self.confine(path, path.name)
            if not path.is_dir():
                return Entry(path.name, self.relative(path), False, size_bytes=path.stat().st_size)
            suffixes = [child.suffix.lower() for child in path.iterdir() if child.is_file()]
        except (OSError, PermissionDenied, InvalidArgument):
            return None
        images = sum(suffix in IMAGE_SUFFIXES for suffix in suffixes)
        captions = sum(suffix in CAPTION_SUFFIXES for suffix in suffixes)
        return Entry(path.name, self.relative(path), True, image_count=images, caption_count=captions)

    def create_folder(self, parent_path: str, folder_name: str) -> str:
        """Create `folder_name` in an existing folder; returns its path relative to datasets_dir."""
        name = check_name(folder_name, "folder_name")
        parent = self.resolve(parent_path, "parent_path")
        if parent == self.root:
            parent.mkdir(parents=True, exist_ok=True)
        if not parent.is_dir():
            raise NotFound(f"folder {parent_path!r} does not exist under datasets_dir; create it first")
        folder = parent / name
        try:
            folder.mkdir()  # also refuses a name taken by a file or a (dangling) link
        except FileExistsError:
            raise AlreadyExists(f"{self.relative(folder)} already exists; choose another name", name=name) from None
        return self.relative(folder)

    def upload_target(self, target_path: str) -> Path:
        target = self.resolve(target_path, "target_path")
        if target.exists() and not target.is_dir():
            raise InvalidArgument(f"target_path {target_path!r} is a file, not a folder")
        return target

    def staging(self) -> Path:
        """A fresh private folder where one upload is assembled."""
        area = self.root / UPLOADS_DIR
        area.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=area))

    def discard_leftovers(self) -> None:
        """Remove what uploads cut short by a crash left behind (call before serving)."""
        shutil.rmtree(self.root / UPLOADS_DIR, ignore_errors=True)

    def install(self, staged: Path, target: Path, names: list[PurePosixPath]) -> int:
        """Move staged files into `target`; every destination is checked before the first move."""
        moves = [(staged.joinpath(*name.parts), target.joinpath(*name.parts)) for name in names]
        for _, destination in moves:
            self._check_destination(destination, target)
        target.mkdir(parents=True, exist_ok=True)  # even when every file was skipped, as the API promises
        for source, destination in moves:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, destination)  # replaces a file (or a link itself), never writes through a link
        return len(moves)

    def _check_destination(self, destination: Path, target: Path) -> None:
        shown = self.relative(destination)
        if destination.is_dir():
            raise InvalidArgument(f"{shown} is a folder; rename the uploaded file or the folder")
        for folder in [destination.parent, *destination.parent.parents]:
            if folder == target.parent:
                break
            if folder.exists() and not folder.is_dir():
                raise InvalidArgument(f"{shown} cannot be stored: {self.relative(folder)} is a file, not a folder")
        self.confine(destination.parent, shown)


class StagedUpload:
    """An upload assembled in a private folder and moved into its target only once it is complete."""

    def __init__(self, folders: DatasetFolders, target_path: str) -> None:
        self.folders = folders
        self.limits = folders.limits
        self.target = folders.upload_target(target_path)
        self.summary = UploadSummary(folders.relative(self.target))
        self.staging = folders.staging()

    def finish(self) -> UploadSummary:
        """Move what was received into the target, and say what was stored and skipped."""
        raise NotImplementedError

    def close(self) -> None:
        """Remove whatever is still staged (everything, when the upload failed)."""
        shutil.rmtree(self.staging, ignore_errors=True)


class FileUpload(StagedUpload):
    """Plain files, one after another: `start(name)`, then `write(bytes)` as often as needed, then `finish()`."""

    def __init__(self, folders: DatasetFolders, target_path: str) -> None:
        super().__init__(folders, target_path)
        self._names: dict[str, None] = {}  # an ordered set: a name sent twice is stored once, the last copy
        self._started = False
        self._name = ""
        self._out: BinaryIO | None = None
        self._written = 0

    def start(self, file_name: str) -> None:
        """Begin the next file: an unsafe name refuses the whole upload, an unwanted one is skipped."""
        self._end_file()
        self._started, self._name, self._written = True, check_component(file_name, "file_name"), 0
        if why := skip_reason((file_name,)):
            self.summary.skip(file_name, why)
            return
        self._names.pop(file_name, None)  # sent again: this copy replaces the earlier one
        self._out = (self.staging / file_name).open("wb")

    def write(self, data: bytes) -> None:
        if not self._started:
            raise InvalidArgument("file data came before any file_name; name each file before its bytes")
        if self._out is None:
            return  # the bytes of a skipped file
        if self._written + len(data) > self.limits.max_file_bytes:
            self._out.close()
            self._out = None
            (self.staging / self._name).unlink()
            limit = self.limits.max_file_bytes
            self.summary.skip(self._name, f"larger than the {limit}-byte limit (upload_max_file_bytes)")
            return
        self._out.write(data)
        self._written += len(data)

    def finish(self) -> UploadSummary:
        self._end_file()
        names = [PurePosixPath(name) for name in self._names]
        self.summary.files_uploaded = self.folders.install(self.staging, self.target, names)
        return self.summary

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
        super().close()

    def _end_file(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            self._names[self._name] = None


class ArchiveUpload(StagedUpload):
    """A ZIP archive: spooled to disk by `write`, checked whole, then extracted and moved in by `finish`."""

    def __init__(self, folders: DatasetFolders, target_path: str) -> None:
        super().__init__(folders, target_path)
        self._spool = (self.staging / "archive.zip").open("wb")
        self._size = 0
        self._files = self.staging / "files"

    def write(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self.limits.max_extracted_bytes:
            limit = self.limits.max_extracted_bytes
            raise InvalidArgument(f"the archive is larger than the {limit}-byte limit (upload_max_extracted_bytes)")
        self._spool.write(data)

    def finish(self) -> UploadSummary:
        self._spool.close()
        try:
            with zipfile.ZipFile(self._spool.name) as archive:
                members = check_archive(archive, self.limits, self.summary)
                self._extract(archive, members)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise InvalidArgument(f"the archive is damaged or not a ZIP file: {exc}") from None
        names = [PurePosixPath(*parts) for parts in members]
        self.summary.files_uploaded = self.folders.install(self._files, self.target, names)
        return self.summary

    def close(self) -> None:
        self._spool.close()
        super().close()

    def _extract(self, archive: zipfile.ZipFile, members: dict[tuple[str, ...], zipfile.ZipInfo]) -> None:
        """Copy each member out, counting the bytes really written: a header that lies about sizes gains nothing."""
        total = 0
        for parts, info in members.items():
            destination = self._files.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with archive.open(info) as source, destination.open("wb") as out:
                while chunk := source.read(COPY_CHUNK_BYTES):
                    written += len(chunk)
                    total += len(chunk)
                    if written > min(info.file_size, self.limits.max_file_bytes):
                        raise InvalidArgument(f"archive member {info.filename!r} holds more than its header says")
                    if total > self.limits.max_extracted_bytes:
                        raise InvalidArgument("the archive extracts to more than upload_max_extracted_bytes")
                    out.write(chunk)


def check_archive(
    archive: zipfile.ZipFile, limits: UploadLimits, summary: UploadSummary
) -> dict[tuple[str, ...], zipfile.ZipInfo]:
    """The members to extract, by path; raises InvalidArgument, before anything is written, if any member is unsafe."""
    infos = archive.infolist()
    if len(infos) > limits.max_archive_entries:
        raise InvalidArgument(f"the archive has {len(infos)} entries; at most {limits.max_archive_entries} are allowed")
    members: dict[tuple[str, ...], zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        parts = member_parts(info.filename)
        check_member(info, limits)
        if info.is_dir() or not parts:
            continue
        total += info.file_size
        if total > limits.max_extracted_bytes:
            raise InvalidArgument(f"the archive extracts to more than {limits.max_extracted_bytes} bytes")
        if why := skip_reason(parts):
            summary.skip(info.filename, why)
        else:
            members.pop(parts, None)
            members[parts] = info  # a path stored twice: the later copy wins, as unzip does
    folders = {parent.parts for path in members for parent in PurePosixPath(*path).parents}
    if clash := next((path for path in members if path in folders), None):
        raise InvalidArgument(f"archive member {'/'.join(clash)!r} is both a file and a folder")
    return members


def member_parts(name: str) -> tuple[str, ...]:
    """The path components of an archive member; absolute, Windows-style and '..' names refuse the archive."""
    if name.startswith("/") or "\\" in name or DRIVE.match(name):
        raise InvalidArgument(f"archive member {name!r} has an absolute or Windows-style path; refusing the archive")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise InvalidArgument(f"archive member {name!r} climbs out of its folder with '..'; refusing the archive")
    if any(len(part.encode()) > MAX_NAME_BYTES for part in parts):
        raise InvalidArgument(f"archive member {name!r} has a name longer than {MAX_NAME_BYTES} bytes")
    return parts


def check_member(info: zipfile.ZipInfo, limits: UploadLimits) -> None:
    """Links, special files, encryption, sizes and compression ratios that refuse the whole archive."""
    name, kind = info.filename, stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise InvalidArgument(f"archive member {name!r} is a symbolic link; links could point outside datasets_dir")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise InvalidArgument(f"archive member {name!r} is a special file (device, pipe or socket)")
    if info.flag_bits & ZIP_ENCRYPTED:
        raise InvalidArgument(f"archive member {name!r} is encrypted; upload an archive without a password")
    if info.compress_type not in ZIP_METHODS:
        raise InvalidArgument(f"archive member {name!r} uses an unsupported compression method")
    if info.file_size > limits.max_file_bytes:
        raise InvalidArgument(
            f"archive member {name!r} is larger than the {limits.max_file_bytes}-byte limit (upload_max_file_bytes)"
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
        raise InvalidArgument(
            f"archive member {name!r} compresses {ratio:.0f}:1, more than the allowed "
            f"{limits.max_compression_ratio}:1 (a zip bomb?)"
        )
