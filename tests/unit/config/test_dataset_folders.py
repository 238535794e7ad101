"""Dataset folders on disk: every path stays in datasets_dir, uploads are staged, unsafe archives write nothing."""

from __future__ import annotations

import io
import random
import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from simpletuner.libs.rpc.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from simpletuner.services.config.datasets import (
    UPLOADS_DIR,
    ArchiveUpload,
    DatasetFolders,
    FileUpload,
    UploadLimits,
    UploadSummary,
)

MIB = 1024 * 1024
LIMITS = UploadLimits(
    max_file_bytes=2 * MIB, max_archive_entries=20, max_extracted_bytes=5 * MIB, max_compression_ratio=50
)
PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10
CHUNK = 64 * 1024


@pytest.fixture
def folders(tmp_path: Path) -> DatasetFolders:
    (tmp_path / "datasets").mkdir()
    return DatasetFolders(tmp_path / "datasets", LIMITS)


def upload_files(folders: DatasetFolders, target: str, files: dict[str, bytes]) -> UploadSummary:
    """What the servicer does with an UploadDatasetFiles stream."""
    upload = FileUpload(folders, target)
    try:
        for name, data in files.items():
            upload.start(name)
            for start in range(0, len(data), CHUNK):
                upload.write(data[start : start + CHUNK])
        return upload.finish()
    finally:
        upload.close()


def extract(folders: DatasetFolders, target: str, archive: bytes) -> UploadSummary:
    """What the servicer does with an UploadDatasetArchive stream."""
    upload = ArchiveUpload(folders, target)
    try:
        for start in range(0, len(archive), CHUNK):
            upload.write(archive[start : start + CHUNK])
        return upload.finish()
    finally:
        upload.close()


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def leaves_no_trace(folders: DatasetFolders) -> bool:
    """Nothing but the (empty) private upload area in datasets_dir."""
    uploads = folders.root / UPLOADS_DIR
    leftovers = list(uploads.iterdir()) if uploads.exists() else []
    others = [p for p in folders.root.iterdir() if p.name != UPLOADS_DIR]
    return leftovers == [] and others == []


# confinement


@pytest.mark.parametrize("path", ["..", "../outside", "a/../../outside", "a/..", "./../x"])
def test_paths_that_climb_with_dotdot_are_refused(folders: DatasetFolders, path: str) -> None:
    with pytest.raises(InvalidArgument, match=r"'\.\.'"):
        folders.resolve(path)


@pytest.mark.parametrize("path", ["/etc", "/tmp/datasets", "C:/Windows", "c:evil", "a\\..\\b"])
def test_absolute_and_windows_style_paths_are_refused(folders: DatasetFolders, path: str) -> None:
    with pytest.raises(InvalidArgument, match="relative to datasets_dir"):
        folders.resolve(path)


def test_the_private_upload_area_and_other_hidden_folders_cannot_be_named(folders: DatasetFolders) -> None:
    with pytest.raises(InvalidArgument, match="hidden"):
        folders.resolve(UPLOADS_DIR)


def test_a_symlink_inside_datasets_dir_that_points_outside_is_refused_everywhere(
    folders: DatasetFolders, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (folders.root / "escape").symlink_to(outside)
    with pytest.raises(PermissionDenied, match="outside datasets_dir"):
        folders.browse("escape")
    with pytest.raises(PermissionDenied):
        folders.create_folder("escape", "new")
    with pytest.raises(PermissionDenied):
        upload_files(folders, "escape/sub", {"a.png": PNG})
    assert list(outside.iterdir()) == []
    assert [e.name for e in folders.browse("").entries] == []  # a link that cannot be used is not offered


def test_a_symlink_inside_the_target_that_points_outside_refuses_the_archive(
    folders: DatasetFolders, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (folders.root / "set").mkdir()
    (folders.root / "set" / "images").symlink_to(outside)
    with pytest.raises(PermissionDenied):
        extract(folders, "set", zip_of({"images/a.png": PNG}))
    assert list(outside.iterdir()) == []


def test_a_symlink_that_stays_inside_is_followed_to_its_real_folder(folders: DatasetFolders) -> None:
    (folders.root / "real").mkdir()
    (folders.root / "alias").symlink_to(folders.root / "real")
    assert upload_files(folders, "alias", {"a.png": PNG}).target_path == "real"
    assert (folders.root / "real" / "a.png").read_bytes() == PNG


# folders and browsing


def test_a_folder_is_created_once_and_its_parent_must_exist(folders: DatasetFolders) -> None:
    assert folders.create_folder("", "portraits") == "portraits"
    assert folders.create_folder("portraits", "close-ups") == "portraits/close-ups"
    assert (folders.root / "portraits" / "close-ups").is_dir()
    with pytest.raises(AlreadyExists):
        folders.create_folder("", "portraits")
    with pytest.raises(NotFound):
        folders.create_folder("missing", "x")


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "../x", ".hidden", "C:x", "x" * 256])
def test_a_folder_name_must_be_one_plain_component(folders: DatasetFolders, name: str) -> None:
    with pytest.raises(InvalidArgument):
        folders.create_folder("", name)
    assert list(folders.root.iterdir()) == []


def test_the_top_folder_is_created_on_first_use(tmp_path: Path) -> None:
    folders = DatasetFolders(tmp_path / "not-yet", LIMITS)
    assert folders.browse("").entries == []
    assert folders.create_folder("", "first") == "first"


def test_browsing_counts_images_and_captions_and_lists_folders_first(folders: DatasetFolders) -> None:
    cats = folders.root / "cats"
    cats.mkdir()
    for name in ("a.png", "b.JPG", "a.txt", "notes.csv"):
        (cats / name).write_bytes(b"x")
    (folders.root / "readme.txt").write_text("hello")
    (folders.root / "aardvark").mkdir()
    (folders.root / ".uploads").mkdir()
    listing = folders.browse("")
    assert [(e.name, e.is_dir) for e in listing.entries] == [("aardvark", True), ("cats", True), ("readme.txt", False)]
    cats_entry = listing.entries[1]
    assert (cats_entry.path, cats_entry.image_count, cats_entry.caption_count) == ("cats", 2, 1)
    assert listing.entries[2].size_bytes == 5
    assert listing.parent is None and listing.path == "" and listing.root == folders.root
    inside = folders.browse("cats")
    assert inside.parent == "" and inside.path == "cats" and len(inside.entries) == 4


def test_browsing_a_missing_folder_is_not_found(folders: DatasetFolders) -> None:
    with pytest.raises(NotFound):
        folders.browse("missing")


# plain file uploads


def test_dataset_files_are_stored_and_other_types_skipped_and_reported(folders: DatasetFolders) -> None:
    files = {"a.png": PNG, "b.webp": b"webp", "a.txt": b"a cat", "tool.exe": b"MZ", "meta.jsonl": b"{}"}
    summary = upload_files(folders, "cats/set1", files)
    assert (summary.target_path, summary.files_uploaded, summary.files_skipped) == ("cats/set1", 4, 1)
    assert len(summary.errors) == 1 and summary.errors[0].startswith("tool.exe: not a dataset file type")
    target = folders.root / "cats" / "set1"
    assert sorted(p.name for p in target.iterdir()) == ["a.png", "a.txt", "b.webp", "meta.jsonl"]
    assert (target / "a.png").read_bytes() == PNG
    assert list((folders.root / UPLOADS_DIR).iterdir()) == []


def test_a_file_over_the_size_limit_is_stopped_while_streaming_and_dropped(folders: DatasetFolders) -> None:
    upload = FileUpload(folders, "big")
    try:
        upload.start("huge.png")
        for _ in range(3):  # 3 MiB against a 2 MiB limit
            upload.write(b"\0" * MIB)
        assert not (upload.staging / "huge.png").exists()  # the partial file went as soon as it was too big
        upload.start("small.png")
        upload.write(PNG)
        summary = upload.finish()
    finally:
        upload.close()
    assert (summary.files_uploaded, summary.files_skipped) == (1, 1)
    assert "upload_max_file_bytes" in summary.errors[0]
    assert [p.name for p in (folders.root / "big").iterdir()] == ["small.png"]


def test_nothing_reaches_the_target_before_the_upload_finishes(folders: DatasetFolders) -> None:
    upload = FileUpload(folders, "later")
    upload.start("a.png")
    upload.write(PNG)
    upload.close()  # the stream broke off
    assert leaves_no_trace(folders)


@pytest.mark.parametrize("name", ["../evil.png", "a/b.png", "..\\evil.png", "", ".."])
def test_an_unsafe_file_name_refuses_the_whole_upload_and_writes_nothing(folders: DatasetFolders, name: str) -> None:
    with pytest.raises(InvalidArgument, match="file_name"):
        upload_files(folders, "set", {"good.png": PNG, name: PNG})
    assert leaves_no_trace(folders)


def test_file_bytes_before_a_file_name_are_refused(folders: DatasetFolders) -> None:
    upload = FileUpload(folders, "set")
    try:
        with pytest.raises(InvalidArgument, match="before any file_name"):
            upload.write(b"orphan")
    finally:
        upload.close()


def test_a_file_replaces_an_existing_one_of_the_same_name(folders: DatasetFolders) -> None:
    upload_files(folders, "set", {"a.txt": b"old"})
    upload_files(folders, "set", {"a.txt": b"new"})
    assert (folders.root / "set" / "a.txt").read_bytes() == b"new"


# archives


def test_an_archive_is_extracted_with_its_folders_and_skips_reported(folders: DatasetFolders) -> None:
    members = {
        "photos/": b"",
        "photos/a.png": PNG,
        "photos/a.txt": b"a cat",
        "photos/deep/b.jpeg": b"jpeg",
        "photos/movie.mp4": b"mp4",
        "__MACOSX/photos/._a.png": b"resource fork",
        "captions.parquet": b"PAR1",
    }
    summary = extract(folders, "set", zip_of(members))
    assert (summary.files_uploaded, summary.files_skipped) == (4, 2)
    assert any(e.startswith("photos/movie.mp4: not a dataset file type") for e in summary.errors)
    target = folders.root / "set"
    assert (target / "photos" / "deep" / "b.jpeg").read_bytes() == b"jpeg"
    assert (target / "captions.parquet").exists() and not (target / "__MACOSX").exists()
    assert list((folders.root / UPLOADS_DIR).iterdir()) == []


def symlink_member() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ok.png", PNG)
        link = zipfile.ZipInfo("link.png")
        link.create_system = 3  # unix: the high 16 bits of external_attr are the file mode
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def patched(archive: bytes, central_offset: int, value: int, local_offset: int | None = None) -> bytes:
    """The archive with a 32-bit field of its (first) central directory entry, and local header, rewritten."""
    data = bytearray(archive)
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + central_offset, value)
    if local_offset is not None:
        struct.pack_into("<I", data, data.find(b"PK\x03\x04") + local_offset, value)
    return bytes(data)


def lying_about_size() -> bytes:
    """3 MiB of zeros whose headers claim 100 bytes: no size or ratio check sees anything alarming."""
    return patched(zip_of({"big.png": b"\0" * (3 * MIB)}), 24, 100, local_offset=22)


def compressible(size: int, seed: int) -> bytes:
    """Two-letter noise: about 7:1 under deflate, well below the ratio limit."""
    return random.Random(seed).randbytes(size).translate(bytes(b"ab"[i % 2] for i in range(256)))


def encrypted() -> bytes:
    return patched(zip_of({"secret.png": PNG}), 8, 0x1)  # general-purpose flags (and version-needed, harmless)


MALICIOUS: dict[str, tuple[Callable[[], bytes], str]] = {
    "dotdot": (lambda: zip_of({"ok.png": PNG, "../evil.png": PNG}), r"'\.\.'"),
    "nested-dotdot": (lambda: zip_of({"a/../../evil.png": PNG}), r"'\.\.'"),
    "absolute": (lambda: zip_of({"/tmp/evil.png": PNG}), "absolute"),
    "drive-letter": (lambda: zip_of({"C:/evil.png": PNG}), "absolute or Windows"),
    "backslashes": (lambda: zip_of({"..\\..\\evil.png": PNG}), "absolute or Windows"),
    "symlink": (symlink_member, "symbolic link"),
    "too-many-entries": (lambda: zip_of({f"{i}.txt": b"x" for i in range(21)}), "entries"),
    "bomb-by-ratio": (lambda: zip_of({"bomb.png": b"\0" * (3 * MIB // 2)}), "zip bomb"),
    "member-too-large": (lambda: zip_of({"big.png": b"\1" * (3 * MIB)}, zipfile.ZIP_STORED), "upload_max_file_bytes"),
    "total-too-large": (
        lambda: zip_of({f"{i}.png": compressible(19 * MIB // 10, seed=i) for i in range(3)}),
        "extracts to more",
    ),
    "lying-header": (lying_about_size, "damaged|more than its header"),
    "encrypted": (encrypted, "encrypted"),
    "file-and-folder": (lambda: zip_of({"a.png": PNG, "a.png/b.png": PNG}), "both a file and a folder"),
    "not-a-zip": (lambda: b"this is not an archive" * 10, "not a ZIP"),
}


@pytest.mark.parametrize("case", MALICIOUS)
def test_an_unsafe_archive_is_refused_whole_and_writes_nothing(folders: DatasetFolders, case: str) -> None:
    make, why = MALICIOUS[case]
    with pytest.raises(InvalidArgument, match=why):
        extract(folders, "set", make())
    assert leaves_no_trace(folders)


def test_an_archive_larger_than_the_extraction_limit_is_stopped_while_spooling(folders: DatasetFolders) -> None:
    upload = ArchiveUpload(folders, "set")
    try:
        with pytest.raises(InvalidArgument, match="upload_max_extracted_bytes"):
            for _ in range(6):
                upload.write(b"\0" * MIB)
    finally:
        upload.close()
    assert leaves_no_trace(folders)


def test_a_refused_archive_leaves_an_existing_target_as_it_was(folders: DatasetFolders) -> None:
    upload_files(folders, "set", {"keep.png": PNG})
    with pytest.raises(InvalidArgument):
        extract(folders, "set", zip_of({"new.png": PNG, "../evil.png": PNG}))
    assert [p.name for p in (folders.root / "set").iterdir()] == ["keep.png"]


def test_an_archive_member_cannot_replace_a_folder(folders: DatasetFolders) -> None:
    (folders.root / "set" / "a.png").mkdir(parents=True)
    with pytest.raises(InvalidArgument, match="is a folder"):
        extract(folders, "set", zip_of({"b.png": PNG, "a.png": PNG}))
    assert not (folders.root / "set" / "b.png").exists()


def test_small_members_that_compress_well_are_not_taken_for_bombs(folders: DatasetFolders) -> None:
    assert extract(folders, "set", zip_of({"blank.txt": b" " * 100_000})).files_uploaded == 1


def test_leftovers_of_a_crash_are_discarded_at_start(folders: DatasetFolders) -> None:
    stale = folders.staging()
    (stale / "archive.zip").write_bytes(b"half")
    folders.discard_leftovers()
    assert not stale.exists()
