"""Model families and flavours over HTTP (/api/models): what the configuration wizard reads."""

from __future__ import annotations

from simpletuner.libs.options import MODEL_FAMILIES, flavours, training_presets
from simpletuner.libs.testing.stack import Account, RunningStack, create_account


def test_the_family_list_carries_flavours_quantisation_advice_and_presets(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        reply = http.get("/api/models")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["count"] == len(MODEL_FAMILIES) == len(body["families"])
    assert [family["name"] for family in body["families"]] == list(MODEL_FAMILIES)
    by_name = {family["name"]: family for family in body["families"]}
    flux = by_name["flux"]
    assert flux["label"] == "FLUX.1" and flux["default_flavour"] == "dev"
    assert flux["quantisation"] == {
        "advised": True,
        "advice": flavours.FAMILIES["flux"].quantisation_advice,
        "recommended": "int8-quanto",
    }
    assert by_name["sana"]["quantisation"]["advised"] is False
    assert by_name["sd1x"]["quantisation"]["recommended"] == "no_change"
    dev = flux["flavours"][0]
    assert dev["name"] == "dev" and dev["pretrained_model_name_or_path"] == "black-forest-labs/FLUX.1-dev"
    assert dev["settings"]["validation_guidance"] == 3.5
    assert {preset["model_type"] for preset in flux["training_presets"]} == set(training_presets.MODEL_TYPES)
    assert "int8-torchao" in body["unsupported"]["base_model_precision"]["values"]
    assert body["unsupported"]["deepspeed_stage"]["values"] == ["3"]


def test_one_family_and_its_flavours_read_like_the_list(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        family = http.get("/api/models/pixart_sigma").json()
        listed = http.get("/api/models/pixart_sigma/flavours")
    assert family["name"] == "pixart_sigma" and family["default_flavour"] == "900M-1024-v0.6"
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["family"] == "pixart_sigma"
    assert [f["name"] for f in body["flavours"]] == list(flavours.names_of("pixart_sigma"))
    assert body["flavours"] == family["flavours"]
    first = body["flavours"][0]
    assert set(first) >= {"name", "label", "description", "pretrained_model_name_or_path", "settings"}
    assert first["pretrained_model_name_or_path"] == "terminusresearch/pixart-900m-1024-ft-v0.6"


def test_an_unknown_family_is_a_404_that_names_the_families(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        for path in ("/api/models/auraflow", "/api/models/auraflow/flavours"):
            reply = http.get(path)
            assert reply.status_code == 404, path
            detail = reply.json()["detail"]
            assert "auraflow" in detail and all(family in detail for family in MODEL_FAMILIES)


def test_a_viewer_may_read_the_models_and_a_stranger_may_not(stack: RunningStack, admin: Account) -> None:
    viewer = create_account(stack, admin, "model-viewer", ["viewer"])
    with stack.http() as anonymous:
        assert anonymous.get("/api/models").status_code == 401
        assert anonymous.get("/api/models/flux/flavours").status_code == 401
    with stack.http() as http:
        http.post("/api/auth/login", json={"username": viewer.username, "password": viewer.password})
        assert http.get("/api/models").status_code == 200
        assert http.get("/api/models/flux").status_code == 200
        assert http.get("/api/models/flux/flavours").json()["flavours"][0]["name"] == "dev"
