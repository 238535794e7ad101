"""The permission catalogue in Python: dotted names ("job.view.own") derived from common.v1.Permission."""

from __future__ import annotations

from simpletuner.api.common.v1 import access_pb2

_PREFIX = "PERMISSION_"


def dotted(permission: int) -> str:
    """PERMISSION_JOB_VIEW_OWN -> "job.view.own"."""
    return access_pb2.Permission.Name(permission).removeprefix(_PREFIX).lower().replace("_", ".")


_BY_NAME = {dotted(v): v for v in access_pb2.Permission.values() if v != access_pb2.PERMISSION_UNSPECIFIED}
ALL: tuple[str, ...] = tuple(_BY_NAME)


def from_dotted(name: str) -> int:
    """ "job.view.own" -> PERMISSION_JOB_VIEW_OWN; a clear error for unknown names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown permission {name!r}; GET /api/users/meta/permissions lists them all") from None


def unknown(names: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """The names that are not in the catalogue."""
    return sorted(set(names) - set(ALL))
