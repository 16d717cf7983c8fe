"""A business's payment-plan policy, kept in Business.settings["payment_plans"]: the smallest installment, the
longest plan, the smallest down payment, the frequencies offered, and the three proposal templates (PRD 9.5:
standard, flexible, hardship).

Agents offer plans inside this policy; business admins and managers may go outside it (DESIGN.md section 12), and
only business admins change it (settings.manage), audited with before and after values. Stored values are read
leniently (an entry that no longer validates falls back to its default); written values are validated strictly, one
clear error per field. Amounts and percentages are stored as text, so they come back exact."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from app.models import Business
from app.models.payment import FREQUENCIES
from app.services import audit
from app.services.auth import permissions
from app.services.errors import NotFound, ValidationError
from app.services.money import format_usd

SETTINGS_KEY = "payment_plans"
FREQUENCY_LABELS = {"weekly": "Weekly", "biweekly": "Every two weeks", "monthly": "Monthly"}
MIN_INSTALLMENT_RANGE = (Decimal("1.00"), Decimal("100000.00"))
"""$1 is the smallest amount Stripe charges us to bother with (one_time.MIN_AMOUNT)."""
MAX_MONTHS_RANGE = (1, 120)
DOWN_PERCENT_RANGE = (Decimal("0"), Decimal("90"))
"""A plan with more than 90% down is a payment with a tail: offer a one-time payment instead."""
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Template:
    """One proposal: this share of the balance down, the rest over this many months."""

    key: str
    name: str
    down_percent: Decimal
    months: int


DEFAULT_TEMPLATES = (
    Template("standard", "Standard plan", Decimal("20"), 12),
    Template("flexible", "Flexible plan", Decimal("10"), 18),
    Template("hardship", "Hardship plan", Decimal("0"), 24),
)
TEMPLATE_KEYS = tuple(t.key for t in DEFAULT_TEMPLATES)
TEMPLATE_NAMES = {t.key: t.name for t in DEFAULT_TEMPLATES}


@dataclass(frozen=True)
class PlanPolicy:
    """The policy in force for one business: its own values over these defaults."""

    min_installment: Decimal = Decimal("25.00")
    max_months: int = 24
    min_down_percent: Decimal = Decimal("0")
    frequencies: tuple[str, ...] = FREQUENCIES
    templates: tuple[Template, ...] = field(default=DEFAULT_TEMPLATES)

    def template(self, key: str) -> Template:
        return next(t for t in self.templates if t.key == key)


DEFAULTS = PlanPolicy()


# -- reading -----------------------------------------------------------------------------------------------------
def effective(stored: dict | None) -> PlanPolicy:
    """The policy from stored JSON; an entry that does not validate (alone or against the others) is ignored."""
    stored = stored if isinstance(stored, dict) else {}
    values: dict = {}
    for name in ("min_installment", "max_months", "min_down_percent", "frequencies"):
        if name in stored:
            try:
                values[name] = _PARSERS[name](stored[name])
            except ValidationError:
                continue
    policy = dataclasses.replace(DEFAULTS, **values)
    templates = []
    raw_templates = stored.get("templates") if isinstance(stored.get("templates"), dict) else {}
    for default in DEFAULT_TEMPLATES:
        try:
            found = _template(default.key, raw_templates.get(default.key), default)
            _check_template(found, policy)
        except ValidationError:
            found = default
        templates.append(_fit(found, policy))
    return dataclasses.replace(policy, templates=tuple(templates))


def _fit(template: Template, policy: PlanPolicy) -> Template:
    """A default template kept inside a policy that has since moved (a lower maximum length, a higher minimum
    down payment), so proposals never leave the policy."""
    return dataclasses.replace(template, down_percent=max(template.down_percent, policy.min_down_percent),
                               months=min(template.months, policy.max_months))


def stored_of(business: Business) -> dict:
    return dict((business.settings or {}).get(SETTINGS_KEY) or {})


def get(db_session, business_id) -> PlanPolicy:
    return effective(stored_of(_business(db_session, business_id)))


# -- writing -----------------------------------------------------------------------------------------------------
def validate(changes: dict, current: PlanPolicy | None = None) -> PlanPolicy:
    """Changes (snake_case or camelCase keys; None returns a value to its default) -> the policy they make.
    Templates are {key: {downPercent, months}}. Raises ValidationError naming the first bad field, including a
    template that would fall outside the policy (its down payment below the minimum, its length above the maximum)."""
    if not isinstance(changes, dict):
        raise ValidationError("Payment plan settings must be an object.", field="paymentPlans")
    current = current or DEFAULTS
    values: dict = {}
    raw_templates = None
    for key, raw in changes.items():
        name = _snake(key)
        if name == "templates":
            if raw is not None and not isinstance(raw, dict):
                raise ValidationError("templates must be an object of standard, flexible and hardship.",
                                      field="templates")
            raw_templates = raw or {}
            unknown = sorted(set(raw_templates) - set(TEMPLATE_KEYS))
            if unknown:
                raise ValidationError(f"{unknown[0]} is not a plan template (one of {', '.join(TEMPLATE_KEYS)}).",
                                      field=f"templates.{unknown[0]}")
            continue
        if name not in _PARSERS:
            raise ValidationError(f"Unknown payment plan setting {key!r}.", field=key)
        values[name] = getattr(DEFAULTS, name) if raw is None else _PARSERS[name](raw)
    policy = dataclasses.replace(current, **values)
    templates = []
    for template in current.templates:
        if raw_templates is not None and template.key in raw_templates:
            raw = raw_templates[template.key]
            template = _template(template.key, raw, DEFAULTS.template(template.key)) if raw is not None \
                else DEFAULTS.template(template.key)
        _check_template(template, policy)
        templates.append(template)
    return dataclasses.replace(policy, templates=tuple(templates))


def errors_of(changes: dict, current: PlanPolicy | None = None) -> dict[str, str]:
    """Every field's error at once, for a form: each value alone first, then (when each is fine) the policy as a
    whole. Empty when validate() would accept the changes."""
    errors: dict[str, str] = {}
    for key, raw in changes.items():
        name = _snake(key)
        try:
            if name == "templates" and isinstance(raw, dict):
                for template_key, template_raw in raw.items():
                    try:
                        if template_key in TEMPLATE_KEYS:
                            _template(template_key, template_raw, DEFAULTS.template(template_key))
                    except ValidationError as exc:
                        errors.setdefault(exc.field, exc.message)
            elif name in _PARSERS and raw is not None:
                _PARSERS[name](raw)
        except ValidationError as exc:
            errors.setdefault(exc.field, exc.message)
    if not errors:
        try:
            validate(changes, current)
        except ValidationError as exc:
            errors[exc.field or "form"] = exc.message
    return errors


def to_stored(policy: PlanPolicy) -> dict:
    """What is kept in Business.settings: only values that differ from the defaults, as exact text."""
    out: dict = {}
    if policy.min_installment != DEFAULTS.min_installment:
        out["min_installment"] = f"{policy.min_installment:f}"
    if policy.max_months != DEFAULTS.max_months:
        out["max_months"] = policy.max_months
    if policy.min_down_percent != DEFAULTS.min_down_percent:
        out["min_down_percent"] = percent_text(policy.min_down_percent)
    if policy.frequencies != DEFAULTS.frequencies:
        out["frequencies"] = list(policy.frequencies)
    templates = {t.key: {"down_percent": percent_text(t.down_percent), "months": t.months}
                 for t in policy.templates if t != DEFAULTS.template(t.key)}
    if templates:
        out["templates"] = templates
    return out


def update(db_session, principal, changes: dict, now: dt.datetime) -> PlanPolicy:
    """A business admin's changes to their business's plan policy, audited with before and after."""
    permissions.require(principal.role, "settings.manage")
    business = _business(db_session, principal.business_id)
    stored = stored_of(business)
    before = effective(stored)
    after = validate(changes, before)
    new_stored = to_stored(after)
    if new_stored != stored:
        business.settings = {**(business.settings or {}), SETTINGS_KEY: new_stored}
        diff = {k: [stored.get(k), new_stored.get(k)] for k in sorted(set(stored) | set(new_stored))
                if stored.get(k) != new_stored.get(k)}
        audit.record(db_session, "payment_plan_settings_updated", principal=principal, now=now,
                     resource_type="business", resource_id=business.id, description="payment plan settings",
                     meta={"changes": diff})
    return after


# -- one setting -------------------------------------------------------------------------------------------------
def _min_installment(raw) -> Decimal:
    amount = _decimal(raw, "minInstallment", "an amount in dollars and cents, like 25.00")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("The minimum installment must be in dollars and cents.", field="minInstallment")
    low, high = MIN_INSTALLMENT_RANGE
    if not low <= amount <= high:
        raise ValidationError(f"The minimum installment must be between {format_usd(low)} and {format_usd(high)}.",
                              field="minInstallment")
    return amount.quantize(Decimal("0.01"))


def _max_months(raw) -> int:
    return _int_in(raw, "maxMonths", "The longest plan", *MAX_MONTHS_RANGE, unit="months")


def _min_down_percent(raw) -> Decimal:
    return _percent(raw, "minDownPercent", "The minimum down payment")


def _frequencies(raw) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [part for part in raw.split(",")]
    if not isinstance(raw, (list, tuple)):
        raise ValidationError("frequencies must be a list of weekly, biweekly and monthly.", field="frequencies")
    chosen = {str(value).strip().lower() for value in raw if str(value).strip()}
    unknown = sorted(chosen - set(FREQUENCIES))
    if unknown:
        raise ValidationError(f"{unknown[0]} is not a frequency (weekly, biweekly or monthly).", field="frequencies")
    if not chosen:
        raise ValidationError("Offer at least one frequency.", field="frequencies")
    return tuple(f for f in FREQUENCIES if f in chosen)


_PARSERS = {"min_installment": _min_installment, "max_months": _max_months, "min_down_percent": _min_down_percent,
            "frequencies": _frequencies}


def _template(key: str, raw, default: Template) -> Template:
    if raw is None:
        return default
    if not isinstance(raw, dict):
        raise ValidationError(f"The {TEMPLATE_NAMES[key].lower()} must be an object with downPercent and months.",
                              field=f"templates.{key}")
    values = {_snake(k): v for k, v in raw.items()}
    unknown = sorted(set(values) - {"down_percent", "months", "key", "name"})
    if unknown:
        raise ValidationError(f"{unknown[0]} cannot be set on a plan template.", field=f"templates.{key}.{unknown[0]}")
    name = TEMPLATE_NAMES[key]
    down = default.down_percent if values.get("down_percent") is None else _percent(
        values["down_percent"], f"templates.{key}.downPercent", f"The {name.lower()}'s down payment")
    months = default.months if values.get("months") is None else _int_in(
        values["months"], f"templates.{key}.months", f"The {name.lower()}", *MAX_MONTHS_RANGE, unit="months")
    return Template(key, name, down, months)


def _check_template(template: Template, policy: PlanPolicy) -> None:
    """A template must itself be a plan an agent may offer."""
    if template.down_percent < policy.min_down_percent:
        raise ValidationError(
            f"The {template.name.lower()} asks {percent_text(template.down_percent)}% down, below the minimum of "
            f"{percent_text(policy.min_down_percent)}%: raise it too.", field=f"templates.{template.key}.downPercent")
    if template.months > policy.max_months:
        raise ValidationError(
            f"The {template.name.lower()} runs {template.months} months, longer than the longest plan of "
            f"{policy.max_months} months: shorten it too.", field=f"templates.{template.key}.months")


def _decimal(raw, field_name: str, expected: str) -> Decimal:
    if isinstance(raw, bool) or isinstance(raw, float) or not isinstance(raw, (int, str, Decimal)):
        raise ValidationError(f"Enter {expected}.", field=field_name)
    text = raw.strip().replace(",", "").removeprefix("$").removesuffix("%").strip() if isinstance(raw, str) else raw
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"Enter {expected}.", field=field_name) from None
    if not value.is_finite():
        raise ValidationError(f"Enter {expected}.", field=field_name)
    return value


def _percent(raw, field_name: str, what: str) -> Decimal:
    value = _decimal(raw, field_name, "a percentage, like 20")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(f"{what} takes at most two decimal places.", field=field_name)
    low, high = DOWN_PERCENT_RANGE
    if not low <= value <= high:
        raise ValidationError(f"{what} must be between {low}% and {high}% of the balance.", field=field_name)
    return _tidy_percent(value)


def _tidy_percent(value: Decimal) -> Decimal:
    """20 stays 20 (not 20.00), 12.5 becomes 12.50: whole percentages read as people write them."""
    return value.quantize(Decimal("1")) if value == value.to_integral() else value.quantize(Decimal("0.01"))


def percent_text(value: Decimal) -> str:
    return f"{_tidy_percent(value):f}"


def _int_in(raw, field_name: str, what: str, low: int, high: int, *, unit: str) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, Decimal) and raw == raw.to_integral():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValidationError(f"{what} must be a whole number of {unit}.", field=field_name)
    if not low <= raw <= high:
        raise ValidationError(f"{what} must be between {low} and {high} {unit}.", field=field_name)
    return raw


def _snake(key) -> str:
    return _CAMEL.sub("_", str(key)).lower()


def _business(db_session, business_id) -> Business:
    business = db_session.get(Business, business_id) if business_id else None
    if business is None or business.deleted_at is not None:
        raise NotFound("Business not found")
    return business
