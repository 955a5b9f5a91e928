"""The booklet's pages: read (filtered, searched, paginated), write, correct, acknowledge.

Every read goes through relais.access: the person through person_for (audited), the
entries through their audience rules (access/booklet.py).
"""

import functools
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import datetime, time
from html import escape  # Django's escape, without its lazy-text wrapper

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, Max, OuterRef, Subquery, When, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left, RowNumber
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template import engines
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from markupsafe import Markup

from relais.access import policy
from relais.accounts.models import User, name_of
from relais.audit import log as audit
from relais.booklet import rules as booklet_rules
from relais.booklet import services
from relais.booklet.forms import BookletFilterForm, CorrectionForm, EntryForm, nameable_members
from relais.booklet.models import Audience, Entry, EntryKind, ReadReceipt
from relais.booklet.rules import may_write_booklet
from relais.core import kept, reversing
from relais.core.forms import kept_fields_html
from relais.core.jinja import datetime_writer
from relais.core.pagination import CountingPaginator, kept_ranking
from relais.core.templatetags import memo
from relais.core.text import fold, is_digits, truncated
from relais.core.uploads import download_name, open_stored
from relais.network import rules as network_rules

PAGE_SIZE = 25
# The entries counted past a page's first at most: a booklet of years shows "More than
# 1,000 entries" (counting 10,000 was most of its first page: bench/booklet.py).
COUNTED_AHEAD = 1000


def _entries(user, person):
    return booklet_rules.entries_of(user, person).order_by("-created_at", "-pk")


NAMES = ("first_name", "last_name", "email")  # what a user's name is shown from
# What a member's name is shown from (NetworkMember.display_name): the write form's choices.
MEMBER_NAMES = ("kind", "user_id", "organisation_id", "name", *(f"user__{n}" for n in NAMES),
                "organisation__name")

# What the page shows of an entry and of the rows it names, read as rows of values: an
# entry with its author, the entry it corrects, its correction and the entry it answers
# were five model instances (with their deferred fields) to build, 0.2 ms an entry, and
# the page of a long booklet shows 25 where a short one shows ten (issue 18).
SHOWN = ("pk", "kind", "audience", "author_id", "author_label", "body", "created_at",
         "attachment", "attachment_name", *(f"author__{name}" for name in NAMES),
         "supersedes__created_at", "reply_to__body", "superseded_by__pk")


def _page_rows(pks) -> dict:
    """The page's 25 entries as shown; ranking and counting ran on narrow rows."""
    return kept.by_pks(("booklet.page_rows",), lambda ids: Entry.objects.filter(
        pk__in=ids).values_list(*SHOWN, named=True), pks)


# What "seen by" shows of a receipt, and its reader's name.
RECEIPT_SHOWN = ("entry_id", "user_id", "read_at", "acknowledged_at",
                 *(f"user__{name}" for name in NAMES))
# "Seen by" names an entry's first readers and counts the others, who are listed on the
# entry's own page of readers: an entry read by a ward listed seventy names, and reading
# every receipt of the page's 25 entries was most of its time (34 ms; docs/bench.md).
SEEN_BY_NAMED = 5
READERS_PAGE = 50


def _receipts_of(user, entries) -> tuple[dict[int, list], set[int]]:
    """The page's first readers by entry, oldest first, each row with its entry's number
    of readers and of acknowledgements; and the entries `user` already has a receipt for
    (which receipts to add then needs no query more). One kept statement, as rows of
    values: a receipt and its reader were two model instances to build, 30 µs a receipt."""
    found, mine = defaultdict(list), set()
    for receipt in kept.among(("booklet.page_receipts",), lambda s, ids: _first_readers(
            ReadReceipt.objects.filter(entry_id__in=ids), s.user), [e.pk for e in entries],
            user=user.pk):
        found[receipt.entry_id].append(receipt)
        if receipt.mine:
            mine.add(receipt.entry_id)
    return found, mine


def _first_readers(receipts, user_id):
    """The first SEEN_BY_NAMED of `receipts` per entry, with the entry's counts."""
    per_entry = {"partition_by": F("entry_id")}
    return receipts.annotate(
        place=Window(RowNumber(), order_by=(F("read_at").asc(), F("pk").asc()), **per_entry),
        readers=Window(Count("pk"), **per_entry),
        acknowledgements=Window(Count("acknowledged_at"), **per_entry),
        mine=Window(Max(Case(When(user_id=user_id, then=1), default=0)), **per_entry),
    ).filter(place__lte=SEEN_BY_NAMED).order_by("entry_id", "place").values_list(
        *RECEIPT_SHOWN, "readers", "acknowledgements", "mine", named=True)


def _reader(receipt) -> str:
    """The reader's name as `User.get_full_name()` says it, else their email."""
    return name_of(receipt.user__first_name, receipt.user__last_name, receipt.user__email)


def _ranked(user, person, form):
    """The unfiltered booklet's ranking (what most visits open), kept across requests;
    None when filters shape the query (the paginator then ranks the usual way)."""
    if form.is_bound and form.is_valid() and any(form.cleaned_data.values()):
        return None

    return kept_ranking(("booklet.ranked", policy.signature(user)), lambda s: booklet_rules
                        .readable(user, Entry.objects.all(), s.person)
                        .order_by("-created_at", "-pk"), ahead=COUNTED_AHEAD, person=person.pk)


def filtered(entries, form: BookletFilterForm):
    if not form.is_valid():
        return entries
    data = form.cleaned_data
    for word in fold(data["q"] or "").split():
        entries = entries.filter(search_text__contains=word)
    if data["kind"]:
        entries = entries.filter(kind=data["kind"])
    if data["author"]:
        entries = entries.filter(author_id=data["author"])
    if data["since"]:
        entries = entries.filter(created_at__gte=_start_of(data["since"]))
    if data["until"]:
        entries = entries.filter(created_at__lt=_start_of(data["until"]) + timezone.timedelta(
            days=1))
    return entries


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


@login_required
def booklet(request, pk):
    person = network_rules.person_for(request.user, pk)
    # Most booklets hold no alert the reader has not acknowledged: whether one does waits
    # to be asked with the header's unread count (core.kept.asking_together), and the
    # alerts are read only when there is one.
    any_alert = kept.later_exists(("booklet.any_alert", policy.signature(request.user)),
                                  lambda s: services.unacknowledged(request.user, s.person),
                                  person=person.pk)
    form = BookletFilterForm(request.GET or None)
    page = CountingPaginator(lambda: filtered(_entries(request.user, person), form), PAGE_SIZE,
                             fetch=_page_rows, ranked=_ranked(request.user, person, form),
                             ahead=COUNTED_AHEAD).get_page(request.GET.get("page"))
    receipts, already = _receipts_of(request.user, page.object_list)  # before this visit's
    services.mark_read(request.user, page, already=already)
    page.object_list = _shown_entries(page.object_list, receipts, request.user.pk)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "person": person, "page": page, "filters": form, "query": query.urlencode(),
        "write_form": _write_form_html(request.user, person),
        "filter_fields": kept_fields_html(form, FILTER_LAYOUT),
        "may_write": may_write_booklet(request.user, person),
        "alerts": _alerts(request.user, person) if any_alert.get() else [],
        "authors": _authors(request.user, person),
        "entry_count": _entry_count(page.paginator),
    }
    return render(request, "booklet/booklet.jinja", context, using="jinja2")


def _entry_count(paginator) -> str:
    count = paginator.count
    said = ngettext("More than %(counter)s entry", "More than %(counter)s entries", count) \
        if paginator.more else ngettext("%(counter)s entry", "%(counter)s entries", count)
    return said % {"counter": number_format(count, force_grouping=True)}


@dataclass(slots=True)
class ShownEntry:
    """An entry as the page prints it, worked out in Python (the template only prints):
    the template engine looked up, filtered and escaped each part row by row."""

    pk: int
    kind: str
    audience: str
    author_id: int
    body: str
    correction: int | None  # the entry correcting this one
    html: Markup  # the entry's own part: `_entry_html`
    seen_by: str
    correct_url: str  # the reader's own entry not corrected yet: "Correct"; else ""


def _shown_entries(rows, receipts: dict[int, list], reader_id: int) -> list[ShownEntry]:
    """What each of the page's rows shows: its own part kept as HTML (`_entry_html`), "seen
    by" and the link to correct it made for this reader, from shapes looked up once a page
    (`reversing.writer`)."""
    words = _PageWords()
    clock = datetime_writer("H:i")
    correct_url = reversing.writer("booklet:entry_correct")
    readers_url = reversing.writer("booklet:entry_readers")
    return [ShownEntry(
        pk=row.pk, kind=row.kind, audience=row.audience, author_id=row.author_id,
        body=row.body, correction=row.superseded_by__pk, html=_entry_html(row, words),
        seen_by=_seen_by(row, receipts[row.pk], clock, readers_url),
        correct_url=correct_url(row.pk) if row.author_id == reader_id
        and row.superseded_by__pk is None else "") for row in rows]


ENTRY_TEMPLATE = "booklet/partials/entry.jinja"


def _entry_html(row, words) -> Markup:
    """The entry's own part of the page (its kind, author, dates, body, attachment), the
    same HTML for every reader in a language and time zone: rendered once and kept per
    process (core/templatetags/memo.py), its key the whole row. An entry is never edited
    (a correction is a new entry) but a changed row (a correction's link, an anonymised
    body) is another key. Rendering it was 21 µs an entry, 25 a page (issue 18)."""
    return Markup(memo.kept(  # noqa: S704 - Jinja2 escapes
        "booklet.entry", row, lambda: engines["jinja2"].get_template(ENTRY_TEMPLATE)
        .template.render(entry=_entry_parts(row, words)), words.around))


class _PageWords:
    """What every entry of a page is written with, looked up when a first entry is
    rendered (most pages render none: their entries are kept), and the kept entries'
    surroundings, looked up once a page."""

    def __init__(self):
        self.around = memo.surroundings()

    @functools.cached_property
    def kinds(self) -> dict[str, str]:
        return _labels(EntryKind, get_language())

    @functools.cached_property
    def audiences(self) -> dict[str, str]:
        return _labels(Audience, get_language())

    @functools.cached_property
    def written_at(self):
        return datetime_writer("SHORT_DATETIME_FORMAT")

    @functools.cached_property
    def written_iso(self):
        return datetime_writer("c")

    @functools.cached_property
    def attachment_url(self):
        return reversing.writer("booklet:entry_attachment")


def _entry_parts(row, words: _PageWords) -> dict:
    """What `ENTRY_TEMPLATE` prints of `row`: the kind's and audience's words translated
    once a page, its two dates written by `datetime_writer` (not the template's filter)."""
    return {
        "kind": row.kind, "kind_label": words.kinds.get(row.kind, row.kind),
        "audience_label": words.audiences.get(row.audience, row.audience),
        "author_name": row.author_label or name_of(
            row.author__first_name, row.author__last_name, row.author__email),
        "created_shown": words.written_at(row.created_at),
        "created_iso": words.written_iso(row.created_at),
        "body_html": _with_line_breaks(row.body), "correction": row.superseded_by__pk,
        "supersedes_shown": words.written_at(row.supersedes__created_at)
        if row.supersedes__created_at else "",
        "reply_to_opening": truncated(row.reply_to__body, 60) if row.reply_to__body else "",
        "attachment_url": words.attachment_url(row.pk) if row.attachment else "",
        "attachment_name": row.attachment_name}


@functools.cache
def _labels(choices, language: str) -> dict[str, str]:
    """{value: label in `language`}: translated once per process and language."""
    with translation.override(language):
        return {value: str(label) for value, label in choices.choices}


def _with_line_breaks(text: str) -> Markup:
    """Django's `linebreaksbr` filter, without its lazy-text wrappers (25 bodies a page)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return Markup(escape(lines).replace("\n", "<br>"))  # noqa: S704 - escaped


def _seen_by(entry, receipts: list, clock, readers_url) -> Markup:
    """"Anne Peeters 10:42 ✓, Jan Claes 11:02 and 65 others (12 acknowledged)": the first
    readers by name, the others counted, with a link to all of them. The names escaped
    here (`format_html_join` did it through lazy-text wrappers for each part)."""
    named = ", ".join(f"{escape(_reader(r))} {clock(r.read_at)}"
                      f"{' ✓' if r.acknowledged_at else ''}" for r in receipts)
    others = receipts[0].readers - len(receipts) if receipts else 0
    if not others:
        return Markup(named)  # noqa: S704 - its names are escaped
    words = ngettext("and %(counter)s other", "and %(counter)s others", others) % {
        "counter": _counted(others)}
    if entry.kind == EntryKind.ALERT:
        acknowledged = receipts[0].acknowledgements
        words += " " + ngettext("(%(counter)s acknowledged)", "(%(counter)s acknowledged)",
                                acknowledged) % {"counter": _counted(acknowledged)}
    link = readers_url(entry.pk)
    return Markup(f'{named} <a href="{escape(link)}">{escape(words)}</a>')  # noqa: S704 - escaped


def _counted(number: int) -> str:
    """`number_format(number, force_grouping=True)`, which says a number under a thousand
    as its digits in every language, without its lookups of the format for those."""
    return str(number) if 0 <= number < 1000 else number_format(number, force_grouping=True)


_WRITE_FORMS = 500  # rendered forms kept per process
_write_forms: OrderedDict[tuple, str] = OrderedDict()
_write_forms_lock = threading.Lock()


def _write_form_html(user, person) -> str:
    """The write form's fields as HTML. Django renders a form through a template per
    widget, which cost a fifth of the page; the HTML depends only on the choices offered
    (the user's kinds and audiences, the person's nameable members, the language), so it
    is rendered once per such set and kept."""
    members = kept.rows(("booklet.nameable",), lambda s: nameable_members(s.person).only(
        *MEMBER_NAMES), person=person.pk)
    frame_key = (get_language(), EntryForm.shape_for(user, "entry"))
    key = (*frame_key, tuple((m.pk, str(m)) for m in members))
    html = _kept_form(key)
    if html is None:
        form = EntryForm(user=user, person=person, prefix="entry")
        field = form.fields["named_members"]
        field.choices = [field.iterator(field).choice(m) for m in members]  # no query again
        members_html = str(form["named_members"])
        # Around the members' list the form is the same for every person: rendered once
        # (Django's form templates: 3 ms), each person's first visit writes only the list.
        frame = _kept_form(frame_key)
        if frame is None:
            before, found, after = form.as_div().partition(members_html)
            frame = (before, after) if found else None
            _keep_form(frame_key, frame)
        html = (mark_safe(frame[0] + members_html + frame[1])  # noqa: S308 - Django's HTML
                if frame else form.as_div())
        _keep_form(key, html)
    return html


def _kept_form(key: tuple):
    with _write_forms_lock:
        return _write_forms.get(key)


def _keep_form(key: tuple, html) -> None:
    with _write_forms_lock:
        _write_forms[key] = html
        while len(_write_forms) > _WRITE_FORMS:
            _write_forms.popitem(last=False)


# The filters but the author (the template writes its select), kept as HTML per language
# and values chosen (core.forms.kept_fields_html): without a filter (most visits) the same
# for everyone in a language.
FILTER_FIELD = "<div>{label_tag} {widget}</div>"
FILTER_LAYOUT = tuple((name, FILTER_FIELD) for name in ("q", "kind", "since", "until"))


ALERTS_SHOWN = 10
# Read newest first: a few more than are shown (most readers have acknowledged none of
# the newest, or one or two), then forty at a time. Forty at first were 0.15 ms of a
# long booklet's page, which a booklet with an alert or two does not pay (issue 18).
ALERTS_FIRST, ALERTS_READ = 16, 40
# What the list of alerts shows: the first words of each (cut at 90 in `_alerts`), as
# rows of values: forty entries as model instances were a tenth of a long booklet's page.
ALERT_OPENING = 91


def _alert_rows(alerts):
    return alerts.annotate(opening=Left("body", ALERT_OPENING)).values_list(
        "pk", "created_at", "acknowledged", "opening", named=True)


def _alerts(user, person) -> list:
    """The newest alerts the user has not acknowledged (the person is seen: person_for
    said so), read newest first a few dozen at a time with whether the user acknowledged
    each. Asked as one statement ("not acknowledged, newest first, ten"), PostgreSQL read
    every alert of the person and sorted them, and once it had prepared the statement its
    plan for an average person probed the receipts for each alert: 10 ms for a booklet of
    10,000 entries (bench/booklet.py), 0.1 ms for one of ten."""
    signature = policy.signature(user)
    shown, before = [], None
    while len(shown) < ALERTS_SHOWN:
        if before is None:
            asked = ALERTS_FIRST
            read = kept.rows(("booklet.alerts", signature), lambda s: _alert_rows(
                services.newest_alerts(user, s.person))[:ALERTS_FIRST], person=person.pk)
        else:  # rare (the reader acknowledged the newest ones): a query not kept
            asked = ALERTS_READ
            read = list(_alert_rows(services.newest_alerts(
                user, person.pk, before=(before.created_at, before.pk)))[:ALERTS_READ])
        shown += [alert for alert in read if not alert.acknowledged]
        if len(read) < asked:
            break
        before = read[-1]
    acknowledge_url = reversing.writer("booklet:entry_acknowledge")
    return [ShownAlert(alert.pk, truncated(alert.opening, ALERT_OPENING - 1),
                       acknowledge_url(alert.pk)) for alert in shown[:ALERTS_SHOWN]]


@dataclass(slots=True)
class ShownAlert:
    """An alert to acknowledge as the notice lists it (the template only prints)."""

    pk: int
    opening: str  # its first words, cut at 90 characters
    acknowledge_url: str


# The person's distinct authors, one index probe each (a "loose index scan" on
# booklet_person_author): DISTINCT or GROUP BY read every entry, 2 ms for 10,000.
AUTHOR_IDS = """WITH RECURSIVE author (id) AS (
    SELECT MIN(author_id) FROM booklet_entry WHERE person_id = %s
  UNION ALL
    SELECT (SELECT MIN(later.author_id) FROM booklet_entry later
            WHERE later.person_id = %s AND later.author_id > author.id)
    FROM author WHERE author.id IS NOT NULL)
SELECT id FROM author WHERE id IS NOT NULL"""


def _authors(user, person) -> list:
    """Who wrote an entry of the person's that the user may read: the filter's choices.

    Whether one of an author's entries is readable is a column, one readable entry's id
    asked per author (a scalar subquery, which the planner neither joins nor hashes): as
    an EXISTS, PostgreSQL's generic plan (the statement is kept, so prepared) read all
    10,000 entries of a long booklet to join or hash them (2.6 ms of its page)."""
    def authors(s):
        readable_one = booklet_rules.readable(
            user, Entry.objects.filter(author_id=OuterRef("pk")), s.person)
        ids = RawSQL(AUTHOR_IDS, [s.person, s.person])  # noqa: S611 - our own SQL
        return User.objects.filter(pk__in=ids).annotate(readable_entry=Subquery(
            readable_one.order_by().values("pk")[:1])).order_by(
            "first_name", "last_name").only(*NAMES)

    return [author for author in kept.rows(("booklet.authors", policy.signature(user)), authors,
                                           person=person.pk) if author.readable_entry]


@login_required
@require_POST
def entry_new(request, pk):
    person = network_rules.person_for(request.user, pk)
    if not may_write_booklet(request.user, person):
        raise Http404
    form = EntryForm(request.POST, request.FILES, user=request.user, person=person,
                     prefix="entry")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.write(person, author=request.user, body=data["body"], kind=data["kind"],
                           audience=data["audience"], named_members=data["named_members"],
                           organisation=services.acting_organisation(request.user),
                           attachment=data["attachment"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Written in the booklet."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values()
                                         for e in errors))
    return redirect("booklet:booklet", person.pk)


def _entry(request, pk) -> Entry:
    entry = policy.visible(request.user, Entry.objects.filter(pk=pk)).select_related(
        "person").first() if is_digits(str(pk)) else None
    if entry is None:
        audit.record(audit.Actions.ACCESS_DENIED, actor=request.user, target_type="booklet.entry",
                     target_id=str(pk)[:64], outcome="denied")
        raise Http404
    return entry


@login_required
def entry_correct(request, pk):
    entry = _entry(request, pk)
    if entry.author_id != request.user.pk:
        raise Http404
    form = CorrectionForm(request.POST or None, initial={"body": entry.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.correct(entry, author=request.user, body=form.cleaned_data["body"],
                             organisation=services.acting_organisation(request.user))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The correction is written; the old text stays in "
                                        "the history."))
            return redirect("booklet:booklet", entry.person_id)
    return render(request, "booklet/entry_correct.html", {"entry": entry, "form": form})


@login_required
@require_POST
def entry_acknowledge(request, pk):
    entry = _entry(request, pk)
    try:
        services.acknowledge(entry, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("booklet:booklet", entry.person_id)


@login_required
def entry_readers(request, pk):
    """Everyone who has seen an entry, oldest first, by pages: the booklet names only the
    first few."""
    entry = _entry(request, pk)
    page = Paginator(ReadReceipt.objects.filter(entry=entry).order_by("read_at", "pk")
                     .values_list(*RECEIPT_SHOWN, named=True), READERS_PAGE).get_page(
        request.GET.get("page"))
    audit.record_read("booklet.read", actor=request.user, target=entry,
                      person_id=entry.person_id, detail={"readers": page.number})
    readers = [(_reader(r), r.read_at, r.acknowledged_at) for r in page]
    return render(request, "booklet/entry_readers.html", {
        "entry": entry, "page": page, "readers": readers,
        "is_alert": entry.kind == EntryKind.ALERT})


@login_required
def entry_attachment(request, pk):
    entry = _entry(request, pk)
    if not entry.attachment:
        raise Http404
    attachment = open_stored(entry.attachment)
    audit.record("booklet.attachment_read", actor=request.user, target=entry,
                 person_id=entry.person_id)
    name = download_name(entry.attachment_name or "attachment", entry.attachment_type)
    return FileResponse(attachment, content_type=entry.attachment_type,
                        as_attachment=True, filename=name)
