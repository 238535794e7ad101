"""The web UI's pages: server-rendered shells whose components talk to the same JSON API as curl does.

A page only decides who may see it (signed out → the setup or sign-in screen, missing permission →
a 403 page); everything a page shows or changes goes through the documented `/api/...` routes, which
check permissions again, so hiding a button is a courtesy and the server stays the authority.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.common.v1 import access_pb2 as p
from simpletuner.api.config.v1 import workspace_pb2
from simpletuner.libs import permissions
from simpletuner.libs.version import VERSION

from ..clients import ServiceClients
from ..security import Principal, public, web_page

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")

router = APIRouter(include_in_schema=False)
ONBOARDING = "/onboarding"
ONBOARDS = permissions.dotted(p.PERMISSION_ADMIN_CONFIG)  # who is sent to onboarding until it is done


@dataclass(frozen=True)
class Page:
    """One page of the UI: its path, template, title, the permission it needs, and its place in the menu."""

    path: str
    template: str
    title: str
    permission: int = 0  # 0: any signed-in user
    section: str = ""  # the sidebar group it is listed under ("" = not listed)

    @property
    def needs(self) -> str:
        return permissions.dotted(self.permission) if self.permission else ""


# The one list of pages: routes and the sidebar are both made from it.
PAGES: tuple[Page, ...] = (
    Page("/", "dashboard.html", "Training", p.PERMISSION_JOB_VIEW_OWN, "Train"),
    Page("/wizard", "wizard.html", "Wizard", p.PERMISSION_CONFIG_CREATE, "Train"),
    Page("/environments", "environments.html", "Environments", p.PERMISSION_CONFIG_VIEW, "Configure"),
    Page("/config", "config.html", "Configuration", p.PERMISSION_CONFIG_VIEW, "Configure"),
    Page("/datasets", "datasets.html", "Datasets", p.PERMISSION_DATASETS_VIEW, "Configure"),
    Page("/queue", "queue.html", "Queue", p.PERMISSION_QUEUE_VIEW, "Share"),
    Page("/workers", "workers.html", "Workers", p.PERMISSION_ADMIN_WORKERS, "Share"),
    Page("/admin/users", "users.html", "Manage Users", p.PERMISSION_ADMIN_USERS, "Admin"),
    Page("/profile", "profile.html", "Profile", 0, ""),
    Page("/onboarding", "onboarding.html", "Welcome", p.PERMISSION_CONFIG_VIEW),
)


def nav_sections(principal: Principal) -> list[tuple[str, list[Page]]]:
    """The sidebar for this user: only the pages they may open, grouped in order."""
    sections: dict[str, list[Page]] = {}
    for page in PAGES:
        if page.section and (not page.needs or principal.holds(page.needs)):
            sections.setdefault(page.section, []).append(page)
    return list(sections.items())


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A template with what every page needs: the version and the signed-in user (if any)."""
    return templates.TemplateResponse(
        request, template, {"version": VERSION, "principal": None, **context}, status_code=status_code
    )


async def _setup_status(clients: ServiceClients) -> auth_pb2.GetSetupStatusResponse:
    return await clients.auth.GetSetupStatus(auth_pb2.GetSetupStatusRequest())


async def _needs_setup(clients: ServiceClients) -> bool:
    return bool((await _setup_status(clients)).needs_setup)


async def _onboarding_pending(clients: ServiceClients) -> bool:
    """Whether the workspace's first-run onboarding is still to do (a config service that does not answer
    must not lock administrators out of every page, so it counts as done)."""
    try:
        reply = await clients.workspace.GetWorkspaceSettings(workspace_pb2.GetWorkspaceSettingsRequest())
    except grpc.aio.AioRpcError:
        return False
    return not reply.settings.onboarding_complete


def _page_route(page: Page) -> None:
    async def show(request: Request, principal: Annotated[Principal | None, Depends(web_page())]) -> Response:
        if principal is None:
            target = "/setup" if await _needs_setup(request.app.state.clients) else "/login"
            return RedirectResponse(f"{target}?next={quote(request.url.path)}", status_code=303)
        clients = request.app.state.clients
        if page.path != ONBOARDING and principal.holds(ONBOARDS) and await _onboarding_pending(clients):
            return RedirectResponse(ONBOARDING, status_code=303)  # whoever may set the workspace up does so first
        template, status = page.template, 200
        if page.needs and not principal.holds(page.needs):
            template, status = "forbidden.html", 403
        return render(request, template, status, page=page, principal=principal, nav=nav_sections(principal))

    show.__name__ = f"page_{page.template.removesuffix('.html')}"
    router.add_api_route(page.path, show, methods=["GET"], response_class=HTMLResponse)


for _page in PAGES:
    _page_route(_page)


@router.get("/setup", response_class=HTMLResponse, dependencies=[Depends(public())])
async def setup_page(request: Request) -> Response:
    """Create the first administrator; once one exists this is the sign-in screen."""
    if not await _needs_setup(request.app.state.clients):
        return RedirectResponse("/login", status_code=303)
    return render(request, "setup.html")


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public())])
async def login_page(request: Request, next: str = "/") -> Response:
    """Sign in (or go to setup while no administrator exists)."""
    status = await _setup_status(request.app.state.clients)
    if status.needs_setup:
        return RedirectResponse("/setup", status_code=303)
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/"
    return render(request, "login.html", next=safe_next, registration_enabled=status.registration_enabled)


@router.get("/register", response_class=HTMLResponse, dependencies=[Depends(public())])
async def register_page(request: Request) -> Response:
    """Create your own account, while an administrator has switched public registration on."""
    status = await _setup_status(request.app.state.clients)
    if status.needs_setup or not status.registration_enabled:
        return RedirectResponse("/setup" if status.needs_setup else "/login", status_code=303)
    return render(request, "register.html")
