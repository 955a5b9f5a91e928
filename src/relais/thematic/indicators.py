"""Indicator codes (the observatory's catalogue) and the figures a preparation pack
freezes. Findings and actions name indicators by code; the observatory
(`observatory.figures`) says which codes exist and gives their publishable figures."""

import dataclasses
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relais.observatory import figures
from relais.observatory.indicators import BY_CODE

CODE = re.compile(r"[a-z][a-z0-9_.-]{0,39}")
PACK_PERIOD = "quarter"
PACK_PERIODS = 8  # two years of quarters: a trend the room can read


def catalogue() -> dict[str, str]:
    """code → label of the observatory's indicators."""
    return {code: str(indicator.label) for code, indicator in BY_CODE.items()}


def check_code(code: str, *, field: str) -> str:
    code = (code or "").strip()
    if code:
        _check([code], field)
    return code


def check_codes(codes, *, field: str) -> list[str]:
    codes = list(dict.fromkeys(c.strip() for c in codes or [] if c and c.strip()))
    _check(codes, field)
    return codes


def _check(codes: list[str], field: str) -> None:
    wrong = [c for c in codes if not CODE.fullmatch(c) or c not in BY_CODE]
    if wrong:
        raise ValidationError({field: _("Unknown indicator: %(codes)s. Choose codes from "
                                        "the observatory's list.") % {
                                            "codes": ", ".join(wrong)}}, code="indicator")


def session_codes(session) -> list[str]:
    """The indicators the session is about: those its findings and actions name."""
    codes = [c for finding in session.findings.all() for c in finding.indicators]
    codes += [a.indicator for a in session.actions.all() if a.indicator]
    return list(dict.fromkeys(codes))


def snapshot(user, session) -> tuple[list[dict], object]:
    """The zone's published figures (suppressed and rounded by the observatory) for the
    session's indicators, the last PACK_PERIODS quarters, as plain data, and when the
    observatory computed them; ([], None) while it has computed nothing."""
    computed_at = figures.computed_at()
    if computed_at is None:
        return [], None
    labels = catalogue()
    frozen = []
    for code in session_codes(session):
        cells = figures.series(user, code, zone=session.care_zone.code, period=PACK_PERIOD)
        frozen.append({"indicator": code, "label": labels.get(code, code),
                       "cells": [_plain(cell) for cell in cells[-PACK_PERIODS:]]})
    return frozen, computed_at


def _plain(cell) -> dict:
    """What a published cell says (never more than the observatory shows)."""
    return {name: value for name, value in dataclasses.asdict(cell).items()
            if name in ("period", "period_start", "shown", "count", "value", "suppressed")}
