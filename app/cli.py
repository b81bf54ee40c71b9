"""The `mentor-api` command: serve, worker, migrate, export-schema, documents, plans, limits,
create-staff, create-partner, seed-demo, fetch-graphiql."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.db import apply_migrations, open_database
from app.logs import configure_logging
from app.processes import check_several, run_web_processes, run_worker, serve_app, web_app
from core import limits
from core.settings import ConfigurationError, LogSettings, Settings
from models.accounts import StaffPermission
from models.partner_apps import PartnerScope
from services import documents
from services.documents import DOCUMENTS_DIR, TrustedDocuments

if TYPE_CHECKING:
    from app.stripe_standin import StripeStandIn

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"


def export_schema_sdl() -> str:
    from resolvers.schema import build_schema

    return build_schema().as_str() + "\n"


def _reachable_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for ``--host``/``--port``: a wildcard
    address is reached through loopback."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _stripe_standin(settings: Settings, port: int, webhook_url: str) -> StripeStandIn:
    try:
        from app.stripe_standin import StripeStandIn
    except ImportError:  # localstripe comes with the test tools, not with the server
        raise ConfigurationError(
            "the local Stripe stand-in needs the test tools: pip install -e '.[test]'"
        ) from None
    standin = StripeStandIn.for_development(settings, port=port)
    standin.webhook_url = webhook_url
    return standin


def _serve(args: argparse.Namespace) -> None:
    address = _reachable_url(args.host, args.port)
    settings = Settings.from_env(public_url=address)
    check_several(settings, args.workers)
    standin = None
    if args.stripe_standin:
        if args.workers > 1:
            raise ConfigurationError("--stripe-standin runs beside one web process: drop --workers")
        standin = _stripe_standin(settings, args.port + 1, f"{address}/webhooks/stripe")
        settings = standin.configure(settings)
    if args.migrate and not settings.embedded:
        asyncio.run(apply_migrations(settings.database_url))
    # Built here even for several processes (each builds its own): a settings mistake then
    # stops the command with one line before anything starts.
    app = web_app(settings)
    print(f"mentor-api serving GraphiQL at {address}/graphql", flush=True)
    if args.workers > 1:
        status = run_web_processes(
            args.workers, args.host, args.port, address, configure_process_logging
        )
        raise SystemExit(status)
    if standin is not None:
        app.cleanup_ctx.append(standin.running)
    asyncio.run(serve_app(app, args.host, args.port, reuse_port=False))


def _worker(args: argparse.Namespace) -> None:
    asyncio.run(run_worker(Settings.from_env()))


def _migrate(args: argparse.Namespace) -> None:
    settings = Settings.from_env()
    asyncio.run(apply_migrations(settings.database_url))
    print("migrations applied")


def _export_schema(args: argparse.Namespace) -> None:
    sdl = export_schema_sdl()
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        print(f"wrote {args.output}")


def _fetch_graphiql(args: argparse.Namespace) -> None:
    from app.graphiql import assets

    into = assets.location(Path(args.into).resolve() if args.into else None)
    try:
        fetched = assets.fetch(into)
    except assets.AssetError as error:
        raise SystemExit(f"GraphiQL's files were not fetched: {error}") from None
    for package in fetched:
        print(f"fetched and checked {package.folder}")
    print(f"GraphiQL's files are in {into}")


def documents_manifest(documents: TrustedDocuments) -> dict[str, object]:
    """The trusted documents in the shape of Apollo's persisted query manifest, which client
    build tools read: each document's hash as its ``id``, its name, type and text."""
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": doc.sha256, "name": doc.name, "type": doc.operation, "body": doc.text}
            for doc in documents
        ],
    }


def _documents(args: argparse.Namespace) -> None:
    documents = TrustedDocuments.load(Path(args.dir).resolve() if args.dir else DOCUMENTS_DIR)
    if args.json:
        manifest = json.dumps(documents_manifest(documents), indent=2, ensure_ascii=False)
        sys.stdout.write(manifest + "\n")
        return
    for doc in documents:
        sys.stdout.write(f"{doc.sha256}  {doc.operation:<12}  {doc.name}\n")


def _plans(args: argparse.Namespace) -> None:
    """Each trusted document with ``compiled`` or the reason it has no plan; ``--show NAME``
    prints the fields a plan reads, how, and the visibility check each got."""
    from resolvers.plans.catalog import Plans
    from resolvers.schema import build_schema

    schema = build_schema()
    folder = Path(args.dir).resolve() if args.dir else DOCUMENTS_DIR
    plans = Plans.compile(schema, documents.load_checked(folder, schema._schema))
    if args.show:
        plan = plans.compiled.get(args.show)
        if plan is None:
            reason = plans.refused.get(args.show, "no such trusted document")
            raise SystemExit(f"{args.show} has no plan: {reason}")
        for checked in plan.compiled.fields:
            sys.stdout.write(checked.describe() + "\n")
        return
    for name in sorted([*plans.compiled, *plans.refused]):
        sys.stdout.write(f"{name:<28}  {plans.refused.get(name, 'compiled')}\n")
    sys.stdout.write(f"{len(plans.compiled)} compiled, {len(plans.refused)} without a plan\n")


def _limits(args: argparse.Namespace) -> None:
    sys.stdout.write(limits.markdown_table())


async def _create_staff(email: str, password: str, permissions: list[StaffPermission]) -> None:
    from models.accounts import User
    from models.audit import AuditAction
    from services import audit
    from services.accounts import normalize_email
    from services.passwords import Passwords, check_strength

    settings = Settings.from_env()
    if settings.embedded:
        await apply_migrations(settings.database_url)
    database = await open_database(settings.database_url)
    try:
        address = normalize_email(email)
        check_strength(password, field="password", personal_words=[address])
        password_hash = await Passwords(settings.password_hashing).hash(password)
        user, _ = await User.get_or_create(
            email=address, defaults={"password_hash": password_hash, "email_verified": True}
        )
        user.password_hash = password_hash
        added = sorted({p.value for p in permissions} - set(user.staff_permissions))
        user.staff_permissions = sorted({*user.staff_permissions, *added})
        await user.save()
        # Granted from the server's own shell, by nobody the API knows: audited all the same.
        for permission in added:
            await audit.record(
                AuditAction.STAFF_PERMISSION_GRANTED,
                subject_id=user.id,
                detail={"permission": permission, "via": "create-staff"},
            )
    finally:
        await database.close_connections()


def _create_staff_command(args: argparse.Namespace) -> None:
    password = os.environ.get("MENTOR_STAFF_PASSWORD") or getpass.getpass("Password: ")
    permissions = [StaffPermission(p) for p in args.permission] or list(StaffPermission)
    asyncio.run(_create_staff(args.email, password, permissions))
    print(f"staff user {args.email} holds {', '.join(p.value for p in permissions)}")


async def _create_partner(name: str, scopes: list[PartnerScope], redirect_uris: list[str]) -> str:
    """A new partner app; answers its first key, which is printed once and never kept."""
    from services import partner_apps

    settings = Settings.from_env()
    if settings.embedded:
        await apply_migrations(settings.database_url)
    database = await open_database(settings.database_url)
    try:
        # Made from the server's own shell, by nobody the API knows: audited all the same.
        _, issued = await partner_apps.create_app(
            settings.secret_key,
            name,
            scopes,
            redirect_uris=redirect_uris,
            actor_id=None,
            via="create-partner",
        )
    finally:
        await database.close_connections()
    return issued.raw


def _create_partner_command(args: argparse.Namespace) -> None:
    from core.errors import DomainError

    scopes = [PartnerScope(scope) for scope in args.scopes]
    try:
        key = asyncio.run(_create_partner(args.name, scopes, args.redirect_uri))
    except DomainError as error:
        raise SystemExit(f"mentor-api: {error.message}") from None
    print(f"partner app {args.name!r} may use {', '.join(s.value for s in scopes)}")
    print("its API key, shown this once (only its hash is kept):")
    print(key)


async def _seed_demo() -> None:
    from app.demo import (
        DEMO_DOMAIN,
        DEMO_PASSWORD,
        MODERATOR_EMAIL,
        WALKTHROUGH_CLIENT_EMAIL,
        WALKTHROUGH_MENTOR_EMAIL,
        seed_demo,
    )
    from services.passwords import Passwords

    settings = Settings.from_env()
    if not settings.development:
        # The demo has a staff account whose password is printed below and in the README.
        raise SystemExit("seed-demo fills development databases only (MENTOR_ENV=development).")
    if settings.embedded:
        await apply_migrations(settings.database_url)
    database = await open_database(settings.database_url)
    try:
        summary = await seed_demo(Passwords(settings.password_hashing))
    finally:
        await database.close_connections()
    if summary.already_seeded:
        print("the demo marketplace is already there; nothing changed")
        return
    print(
        f"seeded {summary.mentors} mentors, {summary.clients} clients, {summary.posts} posts, "
        f"{summary.jobs} jobs and {summary.testimonials} testimonials.\n"
        f"Every demo account (…@{DEMO_DOMAIN}, e.g. {MODERATOR_EMAIL}) logs in with the "
        f"password {DEMO_PASSWORD!r}; the README's payment walkthrough uses "
        f"{WALKTHROUGH_MENTOR_EMAIL} and {WALKTHROUGH_CLIENT_EMAIL}."
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mentor-api")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--migrate", action="store_true", help="apply migrations first (PostgreSQL)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N web processes on one port (needs PostgreSQL and Redis); with Redis no web "
        "process consumes the task queue: run `mentor-api worker` beside them",
    )
    serve.add_argument(
        "--stripe-standin",
        action="store_true",
        help="development only: start a local test stand-in for Stripe on 127.0.0.1, at the "
        "port after --port, and point the server at it",
    )
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)

    commands.add_parser(
        "worker", help="consume the task queue and sweep (with Redis; see serve --workers)"
    ).set_defaults(run=_worker)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", default=str(SCHEMA_PATH))
    export.set_defaults(run=_export_schema)

    documents = commands.add_parser(
        "documents",
        help="list the trusted documents: SHA-256, operation type and name, for client builds",
    )
    documents.add_argument(
        "--json", action="store_true", help="Apollo's persisted query manifest, with the texts"
    )
    documents.add_argument(
        "--dir",
        default=os.environ.get("TRUSTED_DOCUMENTS_DIR") or None,
        help="folder (default: TRUSTED_DOCUMENTS_DIR, else graphql/)",
    )
    documents.set_defaults(run=_documents)

    plans = commands.add_parser(
        "plans", help="list each trusted document: compiled into a plan, or why not"
    )
    plans.add_argument("--show", metavar="NAME", help="print the plan of one document")
    plans.add_argument(
        "--dir",
        default=os.environ.get("TRUSTED_DOCUMENTS_DIR") or None,
        help="folder (default: TRUSTED_DOCUMENTS_DIR, else graphql/)",
    )
    plans.set_defaults(run=_plans)

    graphiql = commands.add_parser(
        "fetch-graphiql", help="fetch GraphiQL's pinned files, checked, for the served page"
    )
    graphiql.add_argument(
        "--into",
        default=os.environ.get("GRAPHIQL_ASSETS_DIR") or None,
        help="folder (default: GRAPHIQL_ASSETS_DIR, else app/graphiql/vendor)",
    )
    graphiql.set_defaults(run=_fetch_graphiql)

    commands.add_parser(
        "limits", help="print every limit and its reason (the README's table)"
    ).set_defaults(run=_limits)

    staff = commands.add_parser("create-staff", help="create or promote a staff user")
    staff.add_argument("email")
    staff.add_argument(
        "--permission",
        action="append",
        default=[],
        choices=[p.value for p in StaffPermission],
        help="repeat for several; all permissions when omitted",
    )
    staff.set_defaults(run=_create_staff_command)

    partner = commands.add_parser(
        "create-partner", help="register a partner app and print its first API key, once"
    )
    partner.add_argument("name")
    partner.add_argument(
        "--scopes",
        nargs="+",
        required=True,
        choices=[s.value for s in PartnerScope],
        help="what the app's credentials may call",
    )
    partner.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="where a user's browser returns with an authorization code (repeat for several)",
    )
    partner.set_defaults(run=_create_partner_command)

    demo = commands.add_parser("seed-demo", help="fill an empty database with a demo marketplace")
    demo.set_defaults(run=lambda args: asyncio.run(_seed_demo()))
    return parser


def configure_process_logging() -> None:
    """Every process's logging: this one's, and each web process ``serve --workers`` starts."""
    configure_logging(LogSettings.from_env())


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        configure_process_logging()
        args.run(args)
    except ConfigurationError as error:
        # A settings mistake is the operator's to fix: one line saying what, no traceback.
        print(f"mentor-api: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":  # `python -m app.cli …`, as the bench scripts run it
    main()
