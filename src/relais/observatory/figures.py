"""The observatory's read API: what pages, charts, exports and preparation packs use.

Every value it returns is publishable: suppressed and rounded by `observatory.suppression`
over the whole table the cell belongs to, whatever slice is asked for, so two requests
cannot be differenced into a hidden cell. Nothing here reads person data: only the
aggregate `Figure` rows of the newest finished `Computation`.

Stable signatures (O2's pages and O3's preparation packs build on them):

    options(threshold=None, rounding=None) -> Options
        Validated publication options (threshold ≥ 5, default settings); raises
        `django.core.exceptions.ValidationError` with a translated message.
    computed_at() -> datetime | None
        When the figures shown were computed (None: never).
    indicators() -> list[Indicator]
        The catalogue: code, label, unit, breakdowns, base (for a rate).
    series(user, indicator, *, zone, municipality="", period="month", start=None,
           end=None, dimension="", key="", opts=None) -> list[Cell]
        One cell per period, oldest first (a trend).
    breakdown(user, indicator, *, zone, period, period_start, by, opts=None) -> list[Cell]
        The cells of one period split by "municipality" (the zone's municipalities, the
        map) or by a breakdown ("category", "reason", "priority_group", "band",
        "hospital", "flow"...), the total first.
    rate(numerator: Cell, base: Cell) -> float | None
        A share in percent, None when either count is suppressed.
    table(user, *, zone, period, start, end, opts=None) -> Iterator[Cell]
        Every cell of a zone over a range of periods: what exports write.

`user` is checked with `observatory.rules.zone_for(user, zone)` (Http404 otherwise) and
each call that shows figures is audited by the view or export that makes it.
"""
