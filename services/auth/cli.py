"""`simpletuner auth`: users and API keys made straight in the workspace's auth database, server running or not."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from simpletuner.libs import context
from simpletuner.libs.context import Caller
from simpletuner.libs.db.database import Database
from simpletuner.libs.db.migrations import upgrade_to_head
from simpletuner.libs.rpc.errors import FailedPrecondition, InvalidArgument, NotFound, ServiceError

from .accounts import Accounts, UserView
from .api_keys import ApiKeys
from .audit import AuditLog
from .keys import audit_key, ensure_keys
from .models import MIGRATIONS
from .settings import AuthSettings

PROG = "simpletuner auth"
EXIT_ERROR = 2


@dataclass(frozen=True)
class Workspace:
    """The auth database of this workspace and the domain objects that work on it."""

    database: Database
    accounts: Accounts
    keys: ApiKeys


Command = Callable[[argparse.Namespace, Workspace], None]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Create users and API keys in this workspace's auth database (SIMPLETUNER_WORKSPACE, "
        "SIMPLETUNER_DATABASE_URL, SIMPLETUNER_AUTH_DATABASE_URL), before the first server start or while it runs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_create_user(commands)
    _add_create_key(commands)
    commands.add_parser("list-users", help="every user with their e-mail address, levels and whether active")
    set_password = commands.add_parser("set-password", help="replace a user's password (ends their sessions)")
    set_password.add_argument("--username", required=True)
    _add_password_options(set_password)
    for name, help_text in (
        ("deactivate", "stop a user signing in; their sessions end and their API keys stop working"),
        ("activate", "let a deactivated user sign in and use their API keys again"),
    ):
        commands.add_parser(name, help=help_text).add_argument("--username", required=True)
    return parser


def _add_create_user(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = commands.add_parser("create-user", help="create a user (asks for the password unless given)")
    create.add_argument("--username", required=True, help="3 to 50 letters, digits, '_' or '-'")
    create.add_argument("--email", required=True)
    _add_password_options(create)
    create.add_argument(
        "--level",
        action="append",
        dest="levels",
        default=[],
        metavar="NAME",
        help="a level to grant, e.g. admin (repeatable; default: researcher)",
    )
    create.add_argument("--display-name", default="", help="the name shown in the UI (default: the username)")


def _add_create_key(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = commands.add_parser("create-key", help="create an API key for a user; prints only the key")
    create.add_argument("--username", required=True, help="the key's owner")
    create.add_argument("--name", required=True, help="what the key is for, e.g. nightly-jobs")
    create.add_argument("--expires-days", type=int, default=0, help="days until it expires (default: never)")
    create.add_argument(
        "--scope",
        action="append",
        dest="scopes",
        default=[],
        metavar="PERMISSION",
        help="limit the key to this permission (repeatable; default: all of the owner's)",
    )


def _add_password_options(parser: argparse.ArgumentParser) -> None:
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--password", help="the password (visible to other local users; prefer --password-stdin)")
    given.add_argument("--password-stdin", action="store_true", help="read the password from the first stdin line")


def open_workspace(settings: AuthSettings, database: Database) -> Workspace:
    """The auth database at its newest revision, with the workspace's keys and the system levels in place."""
    upgrade_to_head(database, MIGRATIONS)
    ensure_keys(settings)
    audit = AuditLog(database, audit_key(settings))
    accounts = Accounts(database, audit)
    accounts.sync_levels()
    return Workspace(database, accounts, ApiKeys(database, audit))


def local_operator() -> Caller:
    """Who the audit log names for changes made here: the local account running the command."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (some containers)
        user = "unknown"
    return Caller(username=f"{user}@{socket.gethostname()} ({PROG})")


def read_password(args: argparse.Namespace) -> str:
    """--password, else the first line of stdin, else asked twice on the terminal."""
    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        password = getpass.getpass("Password: ")
        repeated = getpass.getpass("Repeat the password: ")
    except EOFError:
        raise InvalidArgument("no password given; use --password-stdin in scripts") from None
    if password != repeated:
        raise InvalidArgument("the two passwords differ")
    return password


def find_user(accounts: Accounts, username: str) -> UserView:
    for view in accounts.list_users(include_inactive=True):
        if view.user.username == username:
            return view
    raise NotFound(f"no user named {username}; `{PROG} list-users` lists them")


def level_names(view: UserView) -> str:
    return ",".join(level.name for level in view.levels)


def create_user(args: argparse.Namespace, workspace: Workspace) -> None:
    password = read_password(args)
    view = workspace.accounts.create_user(args.email, args.username, password, args.display_name, args.levels)
    print(f"created user {view.user.username}: id {view.user.id}, levels {level_names(view)}")


def create_key(args: argparse.Namespace, workspace: Workspace) -> None:
    owner = find_user(workspace.accounts, args.username)
    if not owner.user.is_active:
        raise FailedPrecondition(f"{args.username} is deactivated; `{PROG} activate --username {args.username}` first")
    caller = Caller(subject=owner.user.id, username=owner.user.username, permissions=owner.permissions)
    key, _row = workspace.keys.create(caller, args.name, args.expires_days, args.scopes)
    if "api.access" not in owner.permissions:
        print(f"{PROG}: note: {args.username} lacks api.access; the key works once they have it", file=sys.stderr)
    print(key)


def list_users(_args: argparse.Namespace, workspace: Workspace) -> None:
    rows = [("USERNAME", "EMAIL", "LEVELS", "ACTIVE")]
    for view in workspace.accounts.list_users(include_inactive=True):
        rows.append((view.user.username, view.user.email, level_names(view), "yes" if view.user.is_active else "no"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def set_password(args: argparse.Namespace, workspace: Workspace) -> None:
    accounts = workspace.accounts
    user_id = find_user(accounts, args.username).user.id
    accounts.update_user(user_id, password=read_password(args))
    print(f"changed the password of {args.username}; their sessions ended")


def set_active(active: bool) -> Command:
    def command(args: argparse.Namespace, workspace: Workspace) -> None:
        accounts = workspace.accounts
        accounts.update_user(find_user(accounts, args.username).user.id, is_active=active)
        print(f"{'activated' if active else 'deactivated'} {args.username}")

    return command


COMMANDS: dict[str, Command] = {
    "create-user": create_user,
    "create-key": create_key,
    "list-users": list_users,
    "set-password": set_password,
    "deactivate": set_active(False),
    "activate": set_active(True),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; a failure the user can fix prints `simpletuner auth: <why>` and returns 2."""
    args = build_parser().parse_args(argv)
    settings = AuthSettings()
    context.caller.set(local_operator())
    try:
        database = Database(settings.effective_database_url())
    except (SQLAlchemyError, OSError) as error:
        return fail(f"cannot open the auth database: {first_line(error)}")
    try:
        COMMANDS[args.command](args, open_workspace(settings, database))
    except ServiceError as error:
        return fail(error.message)
    except SQLAlchemyError as error:  # e.g. PostgreSQL unreachable
        return fail(f"{database.describe()}: {first_line(error)}")
    except OSError as error:  # e.g. a workspace this user cannot write
        return fail(first_line(error))
    finally:
        database.dispose()
    return 0


def first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
