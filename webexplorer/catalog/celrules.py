"""CEL validation rules (``x-kubernetes-validations``) read into what a person needs to know about each.

The API server evaluates every rule on create and update and refuses the object with the rule's
``message`` (or the result of its ``messageExpression``) when it is false. A rule that mentions
``oldSelf`` is a *transition rule*: it runs only on update, when an old value exists (or always, with
``optionalOldSelf: true``, where ``oldSelf`` is an optional), and compares the new value with the old.
The commonest transition rule, ``self == oldSelf`` (kubebuilder writes it for "immutable" markers, with
variants for optional fields), means the value can never change once set: :attr:`CelRule.immutable`
names that, so pages can say "immutable once set" instead of showing only code.

Nothing here evaluates CEL: the rule text is shown exactly, and only these few shapes are recognised by
their text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_OLD_SELF = re.compile(r"\boldSelf\b")
_SPACE = re.compile(r"\s+")

#: rule texts (spaces removed) that keep a value from changing once it is set
_IMMUTABLE_FORMS = frozenset(
    {
        "self==oldSelf",
        "oldSelf==self",
        "!oldSelf.hasValue()||self==oldSelf.value()",
        "oldSelf.hasValue()?self==oldSelf.value():true",
        "!has(oldSelf)||self==oldSelf",
    }
)
#: ``has(self.x) == has(oldSelf.x)``, ``!has(oldSelf.x) || has(self.x)``: a field that, once set (or
#: once unset), stays so
_PRESENCE_KEPT = re.compile(
    r"^(?:has\(self\.(?P<a>\w+)\)==has\(oldSelf\.(?P=a)\)|!has\(oldSelf\.(?P<b>\w+)\)\|\|has\(self\.(?P=b)\))$"
)


@dataclass(frozen=True, slots=True)
class CelRule:
    """One entry of ``x-kubernetes-validations``, as the schema says it, plus what its text shows.

    ``rule`` is the CEL expression in full; ``message``/``message_expression``/``reason``/``field_path``
    are as written ("" when absent); ``optional_old_self`` is the flag of that name. ``transition`` is
    true when the rule compares with the old object (``oldSelf``), ``immutable`` when it is one of the
    known "cannot change once set" forms, ``kept_field`` the field whose presence it pins
    (``has(self.x) == has(oldSelf.x)``), or ""."""

    rule: str
    message: str = ""
    message_expression: str = ""
    reason: str = ""
    field_path: str = ""
    optional_old_self: bool = False
    transition: bool = False
    immutable: bool = False
    kept_field: str = ""

    @property
    def words(self) -> str:
        """What the rule means for a person, in one sentence."""
        if self.immutable:
            return "immutable once set: an update may not change it"
        if self.kept_field:
            return f"once `{self.kept_field}` is set it cannot be removed"
        if self.transition:
            if self.optional_old_self:
                return "rule checked on create and update (compares with the old value when there is one)"
            return "transition rule: checked on update, comparing the new value with the old one"
        return "rule the value must satisfy"

    @property
    def refusal(self) -> str:
        """What the server says when the rule fails: the message, or how it is computed."""
        if self.message_expression:
            return f"message computed by {self.message_expression}"
        return self.message or f"failed rule: {self.rule}"


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def read_rule(raw: object) -> CelRule | None:
    """One ``x-kubernetes-validations`` entry, or None when it has no rule text."""
    if not isinstance(raw, Mapping):
        return None
    rule = _text(raw, "rule")
    if not rule:
        return None
    compact = _SPACE.sub("", rule)
    kept = _PRESENCE_KEPT.match(compact)
    return CelRule(
        rule=rule,
        message=_text(raw, "message"),
        message_expression=_text(raw, "messageExpression"),
        reason=_text(raw, "reason"),
        field_path=_text(raw, "fieldPath"),
        optional_old_self=raw.get("optionalOldSelf") is True,
        transition=bool(_OLD_SELF.search(rule)),
        immutable=compact in _IMMUTABLE_FORMS,
        kept_field=(kept.group("a") or kept.group("b")) if kept else "",
    )


def read_rules(raw: object) -> tuple[CelRule, ...]:
    """Every readable rule of an ``x-kubernetes-validations`` value, in order."""
    if not isinstance(raw, list):
        return ()
    return tuple(r for r in map(read_rule, raw) if r is not None)
