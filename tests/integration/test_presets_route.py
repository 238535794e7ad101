"""GET /api/models/{family}/acceleration-presets: the memory presets of each family, for anyone who may view
configs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from simpletuner.libs.options import MODEL_FAMILIES, memory_presets
from simpletuner.libs.testing.stack import Account, RunningStack, create_account


@contextmanager
def signed_in(stack: RunningStack, account: Account) -> Iterator[httpx.Client]:
    """A client with the account's session (viewers may not make API keys)."""
    with stack.http() as http:
        login = {"username": account.username, "password": account.password}
        http.post("/api/auth/login", json=login).raise_for_status()
        yield http


def test_each_family_serves_its_three_presets_with_their_settings(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        for family in MODEL_FAMILIES:
            reply = http.get(f"/api/models/{family}/acceleration-presets")
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert body["family"] == family and body["model_type"] == "lora"
            assert body["presets"] == [p.as_dict() for p in memory_presets.presets_for(family)]
            assert [p["name"] for p in body["presets"]] == ["light", "balanced", "aggressive"]
            assert all(set(p) == {"name", "label", "description", "settings"} for p in body["presets"])


def test_a_full_fine_tune_gets_presets_without_base_model_quantisation(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        lora = http.get("/api/models/flux/acceleration-presets").json()["presets"]
        full = http.get("/api/models/flux/acceleration-presets", params={"model_type": "full"}).json()
    assert lora[1]["settings"]["base_model_precision"] == "int8-quanto"
    assert full["model_type"] == "full"
    assert all("base_model_precision" not in p["settings"] for p in full["presets"])


def test_an_unknown_family_answers_404_listing_the_families(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        reply = http.get("/api/models/dalle/acceleration-presets")
    assert reply.status_code == 404
    assert all(family in reply.json()["detail"] for family in MODEL_FAMILIES)


def test_presets_need_the_config_view_permission(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        made = http.post("/api/users/levels", json={"name": "queue-watcher", "permissions": ["queue.view"]})
        assert made.status_code == 201, made.text
    watcher = create_account(stack, admin, "quentin", ["queue-watcher"])
    viewer = create_account(stack, admin, "vera", ["viewer"])
    path = "/api/models/sdxl/acceleration-presets"
    with stack.http() as anonymous:
        assert anonymous.get(path).status_code == 401
    with signed_in(stack, watcher) as http:
        refused = http.get(path)
        assert refused.status_code == 403 and "config.view" in refused.json()["detail"]
    with signed_in(stack, viewer) as http:
        assert http.get(path).status_code == 200
