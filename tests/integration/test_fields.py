"""The options catalogue over HTTP: what forms and scripts read, served by the config service."""

from __future__ import annotations

from simpletuner.libs import options
from simpletuner.libs.testing.stack import Account, RunningStack, create_account


def test_the_whole_catalogue_is_served_with_defaults_and_choices(stack: RunningStack, admin: Account) -> None:
    viewer = create_account(stack, admin, "fiona", ["viewer"])
    with stack.http() as anonymous:
        assert anonymous.get("/api/fields/metadata").status_code == 401
    with stack.http(headers=admin.headers) as http:
        body = http.get("/api/fields/metadata").json()
        assert body["count"] == len(options.CATALOGUE) == len(body["fields"])
        assert body["model_families"] == list(options.MODEL_FAMILIES)
        rank = body["fields"]["lora_rank"]
        assert rank["default"] == options.BY_NAME["lora_rank"].default and rank["flag"] == "--lora_rank"
        family = http.get("/api/fields/field/--model_family").json()
        assert family["choices"] == list(options.MODEL_FAMILIES) and family["required"] is True
        assert http.get("/api/fields/field/no_such_option").status_code == 404
        tabs = http.get("/api/fields/tabs").json()
        assert [tab["name"] for tab in tabs] == list(dict.fromkeys(o.tab.value for o in options.CATALOGUE))
        assert {f["name"] for f in http.get("/api/fields/tabs/validation").json()} == {
            o.name for o in options.CATALOGUE if o.tab == options.Tab.VALIDATION
        }
        assert "learning_rate" in [f["name"] for f in http.get("/api/fields/search", params={"q": "learning"}).json()]
    with stack.http() as http:
        http.post("/api/auth/login", json={"username": "fiona", "password": viewer.password})
        assert http.get("/api/fields/metadata").status_code == 200  # config.view is enough
