"""Erasure (P23): what the personal-data registry says, for every model the user owns.

Run after the grace period, as steps each committed on its own and named in the deletion's
``steps_done``: a crash resumes at the step it stopped in, and running it twice changes
nothing. Rows go or stay by their fields' rules (see ``Erasure``); copies outside the rows
go too: files, Stripe's events and customer, mail the service keeps. Rows kept for the law
stay linked to the tombstoned account, its pseudonym, until the purge after the financial
retention.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from graphlib import TopologicalSorter
from typing import Any

import stripe
from tortoise import connections
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model

from core import clock
from core.runtime import Runtime
from models.accounts import User
from models.audit import AuditAction
from models.deletion import AccountDeletion, DeletionStatus
from models.outbox import OutboxEmail
from models.payments import StripeCustomer, WebhookEvent
from models.privacy import PrivacyQuestion
from services import audit, privacy_questions
from services.access.policy import Erasure, ModelPrivacy
from services.access.registry import REGISTRY
from services.deletion.blockers import held
from services.transactions import transaction

logger = logging.getLogger("mentor_api.erasure")

# Erasure rules that need the row to stay.
KEEPING = frozenset({Erasure.TOMBSTONE, Erasure.PSEUDONYMIZE, Erasure.RETAIN_FOR_LAW})
STRIPE_STEP = "stripe customer"
AfterStep = Callable[[str], Awaitable[None]]


def keeps_rows(privacy: ModelPrivacy) -> bool:
    """Whether erasure keeps a model's rows: a field needs them kept, or none says DELETE."""
    rules = {rule.erasure for rule in privacy.personal.values()}
    return bool(rules & KEEPING) or Erasure.DELETE not in rules


def retained_for_law(privacy: ModelPrivacy) -> bool:
    return any(rule.erasure is Erasure.RETAIN_FOR_LAW for rule in privacy.personal.values())


@functools.cache
def deletion_order() -> list[type[Model]]:
    """Models with an owner, each before the models it refers to (its rows may block theirs).
    Read once Tortoise is initialised, which resolves the relations."""
    owned = [model for model, privacy in REGISTRY.items() if privacy.owner is not None]
    graph: dict[type[Model], set[type[Model]]] = {model: set() for model in owned}
    for model in owned:
        for name in model._meta.fk_fields | model._meta.o2o_fields:
            target = model._meta.fields_map[name].related_model  # type: ignore[attr-defined]
            if target in graph and target is not model:
                graph[target].add(model)  # the referring model goes first
    return list(TopologicalSorter(graph).static_order())


def _column(model: type[Model], name: str) -> str:
    field = model._meta.fields_map[name]
    return f"{name}_id" if isinstance(field, ForeignKeyFieldInstance) else name


def _cleared(model: type[Model], name: str) -> object:
    """The value a cleared field takes: null where allowed, else its default (an empty name)."""
    field = model._meta.fields_map[name]
    if field.null:
        return None
    default = field.default
    return default() if callable(default) else default


def _replacement(model: type[Model], name: str, rule: Erasure, pseudonym: str) -> object:
    field = model._meta.fields_map[name]
    if rule is Erasure.PSEUDONYMIZE:
        return pseudonym
    # TOMBSTONE: a placeholder that is no address and no name, unique where the column is.
    return f"erased:{pseudonym}" if field.unique else "[erased]"


def _changes(model: type[Model], privacy: ModelPrivacy, pseudonym: str) -> dict[str, Any]:
    """The update erasure makes to a row it keeps."""
    changes: dict[str, Any] = {}
    for name, rule in privacy.personal.items():
        if rule.erasure is Erasure.RETAIN_FOR_LAW:
            continue
        if rule.erasure in (Erasure.TOMBSTONE, Erasure.PSEUDONYMIZE):
            changes[_column(model, name)] = _replacement(model, name, rule.erasure, pseudonym)
        else:
            changes[_column(model, name)] = _cleared(model, name)
    return changes


ERASED_STATUSES = (DeletionStatus.ERASED, DeletionStatus.PURGED)


async def is_erased(user_id: int) -> bool:
    return await AccountDeletion.exists(user_id=user_id, status__in=ERASED_STATUSES)


async def erased_pseudonyms(user_ids: Sequence[int]) -> list[str | None]:
    """For each account, the pseudonym that names it once erased (None while it is not): what
    the records that outlive a person, the audit log among them, show instead of them."""
    found = dict(
        await AccountDeletion.filter(
            user_id__in=list(set(user_ids)), status__in=ERASED_STATUSES
        ).values_list("user_id", "pseudonym")
    )
    return [found.get(user_id) for user_id in user_ids]


async def _delete_files(runtime: Runtime, user_id: int) -> None:
    for model, privacy in REGISTRY.items():
        names = [name for name, rule in privacy.personal.items() if rule.file]
        if not names or privacy.owner is None:
            continue
        for keys in await model.filter(**{privacy.owner: user_id}).values_list(*names):
            for key in keys if isinstance(keys, tuple) else (keys,):
                if key:
                    await runtime.files.delete(str(key))


async def _forget_copies(runtime: Runtime, user: User) -> None:
    """Copies that name the person outside their rows: Stripe's events (also those never
    linked to the account: matched by the customer id), mail kept for the address, and the
    mail to support carrying their privacy questions (which goes with the questions)."""
    customer = await StripeCustomer.get_or_none(user_id=user.id)
    await WebhookEvent.filter(user_id=user.id).delete()
    if customer is not None:
        needle = customer.stripe_customer_id
        last_id = 0
        while batch := await WebhookEvent.filter(id__gt=last_id).order_by("id").limit(500):
            last_id = batch[-1].id
            named = [event.id for event in batch if needle in json.dumps(event.payload)]
            if named:
                await WebhookEvent.filter(id__in=named).delete()
    await OutboxEmail.filter(to_address=user.email).delete()
    await privacy_questions.forget(PrivacyQuestion.filter(user_id=user.id))
    await runtime.outbox.forget(user.email)


async def _erase_rows(model: type[Model], user_id: int, pseudonym: str) -> None:
    privacy = REGISTRY[model]
    assert privacy.owner is not None
    owned = model.filter(**{privacy.owner: user_id})
    if keeps_rows(privacy):
        changes = _changes(model, privacy, pseudonym)
        if changes:
            await owned.update(**changes)
    else:
        await owned.delete()
    if privacy.counterparty and privacy.counterparty_erasure is Erasure.DELETE:
        await model.filter(**{privacy.counterparty: user_id}).delete()


async def _delete_stripe_customer(runtime: Runtime, user_id: int) -> bool:
    """Delete the customer at Stripe, then our link to it; False while Stripe is away."""
    customer = await StripeCustomer.get_or_none(user_id=user_id)
    if customer is None:
        return True
    try:
        await runtime.payments.stripe.v1.customers.delete_async(customer.stripe_customer_id)
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:  # already gone at Stripe is what we want
            raise
    except stripe.StripeError as error:
        logger.warning("Stripe customer deletion postponed: %s", type(error).__name__)
        return False
    await customer.delete()
    return True


def _steps() -> list[str]:
    # The link to the Stripe customer goes only once Stripe has deleted the customer.
    models = [
        f"rows:{model.__name__}"
        for model in deletion_order()
        if model not in (User, StripeCustomer)
    ]
    return ["copies", "files", "staff", *models, f"rows:{User.__name__}"]


async def erase(
    runtime: Runtime, deletion: AccountDeletion, after_step: AfterStep | None = None
) -> None:
    """Erase the account of ``deletion``, resuming after the steps it already did."""
    user = await User.get(id=deletion.user_id)
    for step in _steps():
        if step in deletion.steps_done:
            continue
        async with transaction():
            if step == "copies":
                await _forget_copies(runtime, user)
            elif step == "files":
                await _delete_files(runtime, user.id)
            elif step == "staff":
                # No power outlives its holder: the tombstone is nobody's staff.
                await User.filter(id=user.id).update(staff_permissions=[])
            else:
                model = next(m for m in REGISTRY if f"rows:{m.__name__}" == step)
                await _erase_rows(model, user.id, deletion.pseudonym)
            deletion.steps_done = [*deletion.steps_done, step]
            await deletion.save(update_fields=["steps_done"])
        if after_step is not None:
            await after_step(step)
    await _finish_with_stripe(runtime, deletion)
    await _leave_no_copy_in_the_journal()
    if deletion.status is not DeletionStatus.ERASED:
        deletion.status = DeletionStatus.ERASED
        deletion.erased_at = clock.now()
        await deletion.save(update_fields=["status", "erased_at"])
        await audit.record(
            AuditAction.ACCOUNT_ERASED, subject_id=user.id, detail={"deletion_id": deletion.id}
        )


async def _leave_no_copy_in_the_journal() -> None:
    """The embedded database keeps changed pages in its write-ahead log until a checkpoint:
    write them back and empty the log, so the erased values are nowhere in the data folder."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        await connection.execute_script("PRAGMA wal_checkpoint(TRUNCATE);")


async def _finish_with_stripe(runtime: Runtime, deletion: AccountDeletion) -> None:
    if STRIPE_STEP in deletion.steps_done:
        return
    if await _delete_stripe_customer(runtime, deletion.user_id):
        deletion.steps_done = [*deletion.steps_done, STRIPE_STEP]
        await deletion.save(update_fields=["steps_done"])


async def erase_due(runtime: Runtime) -> int:
    """Erase every account whose grace period has passed and no legal hold pauses; retry the
    Stripe step of erasures that could not reach Stripe. Answers how many were erased."""
    erased = 0
    due = AccountDeletion.filter(
        status=DeletionStatus.SCHEDULED, scheduled_erasure_at__lte=clock.now()
    ).order_by("id")
    for deletion in await due:
        if await held(deletion.user_id):
            continue
        await erase(runtime, deletion)
        erased += 1
    for deletion in await AccountDeletion.filter(status=DeletionStatus.ERASED):
        await _finish_with_stripe(runtime, deletion)
    return erased


async def purge_due(runtime: Runtime) -> int:
    """Delete the rows kept for the law once the financial retention has passed since the
    erasure (so after every payment of the account), unless a legal hold pauses it."""
    purged = 0
    cutoff = clock.now() - runtime.settings.financial_retention
    due = AccountDeletion.filter(status=DeletionStatus.ERASED, erased_at__lte=cutoff)
    for deletion in await due.order_by("id"):
        if await held(deletion.user_id) or STRIPE_STEP not in deletion.steps_done:
            continue
        async with transaction():
            for model in deletion_order():
                privacy = REGISTRY[model]
                if model is not User and privacy.owner and retained_for_law(privacy):
                    await model.filter(**{privacy.owner: deletion.user_id}).delete()
            deletion.status = DeletionStatus.PURGED
            deletion.purged_at = clock.now()
            await deletion.save(update_fields=["status", "purged_at"])
            await audit.record(
                AuditAction.RETAINED_DATA_PURGED,
                subject_id=deletion.user_id,
                detail={"deletion_id": deletion.id},
            )
        await _leave_no_copy_in_the_journal()
        purged += 1
    return purged
