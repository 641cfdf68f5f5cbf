"""Segment rules: a small JSON language over traits, computed traits and events, checked
when a segment is saved and evaluated for one profile at a time (so membership can be
kept current on every event, never by a nightly rebuild).

    {"all": [rule, ...]}   {"any": [rule, ...]}   {"not": rule}
    {"trait": "plan", "op": "eq", "value": "pro"}
    {"computed": "orders_count", "op": "gte", "value": 3}
    {"event": "Order Completed", "where": {"sku": "COFFEE"}, "min_count": 3,
     "within_days": 90, "none_within_days": 30}

`where` matches event properties, and a property that is a list of products
(`products[].sku`) matches when any product matches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "exists", "contains")
MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class EventFact:
    name: str
    timestamp: datetime
    properties: dict[str, Any]


def check(rule: object, path: str = "body.rule", depth: int = 0) -> list[dict[str, str]]:
    """Every problem with a rule, as field errors; empty when it is valid."""
    if depth > MAX_DEPTH:
        return [{"field": path, "message": f"rules nest at most {MAX_DEPTH} deep"}]
    if not isinstance(rule, dict) or len(rule) == 0:
        return [{"field": path, "message": "a rule is a non-empty object"}]
    if "all" in rule or "any" in rule:
        key = "all" if "all" in rule else "any"
        items = rule[key]
        if not isinstance(items, list) or not items:
            return [{"field": f"{path}.{key}", "message": "a non-empty list of rules"}]
        return [e for i, r in enumerate(items) for e in check(r, f"{path}.{key}.{i}", depth + 1)]
    if "not" in rule:
        return check(rule["not"], f"{path}.not", depth + 1)
    if "trait" in rule or "computed" in rule:
        key = "trait" if "trait" in rule else "computed"
        errors = []
        if not isinstance(rule[key], str) or not rule[key]:
            errors.append({"field": f"{path}.{key}", "message": "a trait name"})
        if rule.get("op") not in OPS:
            errors.append({"field": f"{path}.op", "message": f"one of {', '.join(OPS)}"})
        if rule.get("op") != "exists" and "value" not in rule:
            errors.append({"field": f"{path}.value", "message": "required for this op"})
        return errors
    if "event" in rule:
        return _check_event(rule, path)
    return [{"field": path, "message": "expected all, any, not, trait, computed or event"}]


def _check_event(rule: dict[str, Any], path: str) -> list[dict[str, str]]:
    errors = []
    if not isinstance(rule["event"], str) or not rule["event"]:
        errors.append({"field": f"{path}.event", "message": "an event name"})
    if "where" in rule and not isinstance(rule["where"], dict):
        errors.append({"field": f"{path}.where", "message": "an object of properties"})
    for key in ("min_count", "within_days", "none_within_days"):
        value = rule.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 3650
        ):
            errors.append({"field": f"{path}.{key}", "message": "a whole number 1–3650"})
    return errors


def event_window_days(rule: dict[str, Any]) -> int:
    """How far back events must be read to evaluate `rule` (0: no event condition)."""
    if "all" in rule or "any" in rule:
        return max((event_window_days(r) for r in rule.get("all", rule.get("any", []))), default=0)
    if "not" in rule:
        return event_window_days(rule["not"])
    if "event" in rule:
        return int(rule.get("within_days") or 3650)
    return 0


def _compare(actual: object, op: str, expected: object) -> bool:
    if op == "exists":
        return actual is not None
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "in":
        return isinstance(expected, list) and actual in expected
    if op == "contains":
        return isinstance(actual, list | dict | str) and expected in actual
    try:
        if op == "gt":
            return bool(actual > expected)  # type: ignore[operator]
        if op == "gte":
            return bool(actual >= expected)  # type: ignore[operator]
        if op == "lt":
            return bool(actual < expected)  # type: ignore[operator]
        if op == "lte":
            return bool(actual <= expected)  # type: ignore[operator]
    except TypeError:
        return False
    return False


def _dig(data: dict[str, Any], dotted: str) -> object:
    current: object = data
    for part in dotted.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _matches(properties: dict[str, Any], where: dict[str, Any]) -> bool:
    products = properties.get("products")
    candidates = [properties]
    if isinstance(products, list):
        candidates += [p for p in products if isinstance(p, dict)]
    return all(any(c.get(k) == v for c in candidates) for k, v in where.items())


def evaluate(
    rule: dict[str, Any],
    *,
    traits: dict[str, Any],
    computed: dict[str, Any],
    events: list[EventFact],
    now: datetime,
) -> bool:
    def ev(r: dict[str, Any]) -> bool:
        if "all" in r:
            return all(ev(x) for x in r["all"])
        if "any" in r:
            return any(ev(x) for x in r["any"])
        if "not" in r:
            return not ev(r["not"])
        if "trait" in r:
            return _compare(_dig(traits, r["trait"]), r["op"], r.get("value"))
        if "computed" in r:
            return _compare(_dig(computed, r["computed"]), r["op"], r.get("value"))
        hits = [
            e
            for e in events
            if e.name == r["event"] and _matches(e.properties, r.get("where") or {})
        ]
        if r.get("within_days"):
            since = now - timedelta(days=int(r["within_days"]))
            hits = [e for e in hits if e.timestamp >= since]
        if r.get("none_within_days"):
            recent = now - timedelta(days=int(r["none_within_days"]))
            if any(e.timestamp >= recent for e in hits):
                return False
        return len(hits) >= int(r.get("min_count") or 1)

    return ev(rule)
