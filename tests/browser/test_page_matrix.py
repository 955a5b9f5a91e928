"""Issue 12, "What it must show", first bullet: the page matrix.

Every demo persona (each professional function, the administrator, the two portal logins,
an anonymous visitor) walks Relais from its home page: the menu, every URL without
parameters, then every link the pages show, as far as they lead. Nothing here is a
hand-kept list of pages; the few named URLs no link leads to are listed with the reason.

Asserted, per persona and page:
- every menu link answers 200, and every link a page shows opens (no 404, 403 or 500: a
  link the account cannot open must not be shown);
- the language stays the one the user chose, on every page (personas are spread over
  NL, FR and EN);
- every named URL of the project is reached by some persona, by a link or as the action
  of a form a page shows (or is listed with the reason no page leads there).
Then one page per named URL, in a real Chromium at 360 px: no sideways scrolling, and no
axe-core violation of WCAG 2.1 A/AA.
"""

from __future__ import annotations

import importlib
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import axe_playwright_python
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.urls import (
    NoReverseMatch,
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)

from relais.accounts import demo
from relais.accounts.models import User
from relais.interop.fhir import urls as fhir_urls
from relais.interop.hsds import urls as hsds_urls
from relais.network import demo as network_demo
from relais.network.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load

LANGUAGES = ("nl", "fr", "en")
PHONE_WIDTH = 360
MAX_PAGES_PER_PERSONA = 160
MAX_URLS_PER_NAME = 1  # per persona: one person's record stands for the others
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()

# Paths a crawler must not follow: they change state on GET by design (none today), leave
# the session, or are Django's own administration (checked for 200 at its index only).
NOT_FOLLOWED = ("/static/", "/media/", "/i18n/", "/admin/")

# Named URLs no page links to, and why. A new page that no link reaches fails the test
# until it is linked or listed here.
NOT_LINKED = {
    "stays:cancel_discharge": ("a form on a discharged stay's page, for its hospital's staff:"
                               " the demo records walked hold no such stay (test_contacts.py"
                               " and test_adt_followup.py post to it)"),
    # reached from outside a page
    "accounts:password_reset_confirm": "the e-mailed link, with its token",
    "network:portal_join": "the e-mailed invitation, with its token",
    "followup:calendar_feed": "the secret address a calendar app subscribes to",
    "audit:sealing_health": "monitoring (tests/relais/audit): 503 while the sealer is late",
    "core:readyz": "monitoring (tests/relais/core/test_health.py): 503 without a worker",
    "core:metrics": "Prometheus' scraper, not a person (tests/relais/core/test_health.py)",
    # shown in a state the demo care zone does not hold (each has its own tests)
    "accounts:disable_two_factor": "once two-factor authentication is on",
    "accounts:regenerate_backup_codes": "once two-factor authentication is on",
    "accounts:switch_organisation": "to someone working for two organisations",
    "booklet:consultation_decide": "to the asker, once a consultation is answered",
    "booklet:consultation_reply": "to the asker, once a consultation is answered",
    "booklet:emergency_photo": "once an emergency sheet has a photo",
    "booklet:entry_attachment": "on a booklet entry with an attachment",
    "booklet:entry_readers": ("on a booklet entry seen by more than five people (none in the "
                              "demo; test_booklet_journey.py opens it at 360 px)"),
    "interop:adt_message": "while an ADT message waits for a match",
    "interop:adt_link": "while an ADT message waits for a match",
    "interop:adt_create_person": "while an ADT message waits for a match",
    "interop:adt_merge": "while a merge of two persons waits for confirmation "
                         "(tests/relais/interop/test_adt_corpus.py)",
    "interop:adt_merge_undo": "on a merge the feed applied (none in the demo; "
                              "tests/relais/interop/test_adt_merges_page.py)",
    "interop:adt_retry": "while a message the feed failed to apply or refused waits "
                         "(none in the demo; tests/relais/interop/test_adt_inbox.py)",
    "interop:adt_set_aside": "while a message the feed failed to apply waits (none in the "
                             "demo; tests/relais/interop/test_adt_inbox.py)",
    "network:break_glass": "when a search finds a record hidden from the searcher",
    "network:mandate_document": "on a mandate with a scanned document",
    "network:mandate_revoke": "on a recorded mandate",
    "network:protection_order_lift": "on a recorded court order (none in the demo)",
    "notifications:send_again": "on an email that failed",
    "stays:template_item_remove": "on an item a hospital added to its checklist",
    "thematic:presentation_file": "on a presentation kept as a file (the demo's are links)",
    "thematic:session_invite": "while the next session's date is ahead (the demo's passed)",
}
# The APIs answer systems in JSON (their own contract and access tests are in
# tests/relais/interop/hsds and fhir): no page links to them, and the walk does not type
# their addresses either (each persona typing each was 660 of the walk's 2,100 requests).
HSDS_NAMES = {f"interop:{pattern.name}" for pattern in hsds_urls.urlpatterns}
FHIR_NAMES = {f"fhir:{pattern.name}" for pattern in fhir_urls.urlpatterns}
NOT_LINKED.update(dict.fromkeys(HSDS_NAMES, "the HSDS API, JSON"))
NOT_LINKED.update(dict.fromkeys(FHIR_NAMES, "the FHIR API, for systems"))


@dataclass
class Persona:
    email: str
    language: str
    user: User | None = None

    @property
    def name(self) -> str:
        return self.email.split("@")[0] if self.email else "anonymous"


@dataclass
class Visit:
    persona: Persona
    url: str
    url_name: str  # of the page that answered, after redirects
    status: int
    content_type: str
    html_lang: str | None
    asked_name: str = ""  # of the URL asked for



@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    forms: set[str | None] = field(default_factory=set)  # named URLs pages post to

    def add(self, persona: Persona, url: str, problem: str) -> None:
        self.problems.append(f"{persona.name} {url}: {problem}")


class Links(HTMLParser):
    """The <a href> of a page, which of them sit in the main menu, and its forms' actions."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.menu: list[str] = []
        self.form_actions: list[str] = []
        self._nav_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "nav" and "site-nav" in (attributes.get("class") or ""):
            self._nav_depth = 1
        elif tag == "nav" and self._nav_depth:
            self._nav_depth += 1
        if tag == "form" and attributes.get("action"):
            self.form_actions.append(attributes["action"])
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])
            if self._nav_depth:
                self.menu.append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1


HTML_LANG = re.compile(rb"<html[^>]*\blang=\"([a-z-]+)\"")


# --- the world ---------------------------------------------------------------------------


@pytest.fixture
def demo_world(transactional_db, settings, tmp_path):
    load_geography(django_apps, None)  # a transactional test's flush emptied it
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")  # the demo's outbox page
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - closed at exit


def personas() -> list[Persona]:
    emails = [demo.email_of(user) for user in demo.USERS]
    emails.append(demo.email_of(demo.ADMIN))
    emails += [email for email, _ in network_demo.portal_logins()]
    chosen = [Persona(email, language)
              for email, language in zip(emails, itertools.cycle(LANGUAGES), strict=False)]
    for persona in chosen:
        persona.user = User.objects.get(email=persona.email)
        persona.user.language = persona.language  # what the user chose, on their profile
        persona.user.save(update_fields=["language"])
    return [*chosen, Persona("", "fr")]


def client_for(persona: Persona) -> Client:
    client = Client()
    if persona.user:
        client.force_login(persona.user)
    else:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = persona.language
    return client


# --- walking -----------------------------------------------------------------------------


def named_patterns(resolver=None, namespace="") -> dict[str, URLPattern]:
    """Every named URL of the project, as "namespace:name"."""
    found = {}
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.update(named_patterns(entry, inner))
        elif isinstance(entry, URLPattern) and entry.name:
            found[f"{namespace}{entry.name}"] = entry
    return found


# Answers for monitoring, not pages for people: not typed in by the walk.
MONITORING = {"audit:sealing_health", "core:readyz", "core:metrics"}


def parameterless_urls() -> list[str]:
    urls = []
    for name in sorted(set(named_patterns()) - MONITORING - HSDS_NAMES - FHIR_NAMES):
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue  # it needs parameters: links lead there
    return urls


def url_name_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def followable(href: str, here: str) -> str | None:
    absolute = urljoin(here, href)
    parts = urlsplit(absolute)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not parts.path.startswith("/") or parts.path.startswith(NOT_FOLLOWED):
        return None
    return path


def demo_records() -> list[str]:
    """A few demo records, typed by everyone, each in a situation the others are not in
    (the walk opens only one page per named URL otherwise): the fullest booklet, someone
    in hospital, someone at home, someone who excluded a member of their network."""
    persons = Person.objects.order_by("pk")
    showcase = [
        persons.annotate(entries=Count("booklet_entries")).order_by("-entries").first(),
        persons.filter(stays__discharged_at__isnull=True, stays__cancelled_at__isnull=True)
        .first(),
        persons.exclude(stays__discharged_at__isnull=True).first(),
        persons.filter(members__never_inform=True).first(),
    ]
    pks = dict.fromkeys(person.pk for person in showcase if person)
    return [reverse("network:person_detail", args=[pk]) for pk in pks]


def walk(persona: Persona, findings: Findings, typed: list[str]) -> None:
    """Follow every link from the typed URLs. A typed URL may be closed to the persona
    (404, 403, the login page); a link the persona was shown may not."""
    client = client_for(persona)
    queue = list(typed)
    seen: set[str] = set()
    per_name: dict[str, int] = defaultdict(int)
    menu_links: set[str] = set()
    while queue and len(seen) < MAX_PAGES_PER_PERSONA:
        url = queue.pop(0)
        name = url_name_of(urlsplit(url).path)
        if url in seen or name is None:
            continue
        if per_name[name] >= MAX_URLS_PER_NAME and url not in menu_links and url not in typed:
            continue
        seen.add(url)
        if url not in typed:  # a typed record may be closed: the persona's own still opens
            per_name[name] += 1
        response = client.get(url, follow=True)
        links = check_page(persona, url, name, response, findings,
                           from_menu=url in menu_links,
                           may_be_closed=url in typed and url not in menu_links)
        if links is None:
            continue
        menu_links.update(u for u in (followable(href, url) for href in links.menu) if u)
        queue.extend(u for u in (followable(href, url) for href in links.hrefs) if u)
        findings.forms.update(url_name_of(urlsplit(urljoin(url, action)).path)
                              for action in links.form_actions)


def check_page(persona, url, name, response, findings, *, from_menu, may_be_closed):
    """Record the visit; return the page's links (None when it is not an HTML page)."""
    content_type = response.get("Content-Type", "")
    body = b"" if getattr(response, "streaming", False) else response.content
    lang = HTML_LANG.search(body)
    answered_by = response.resolver_match.view_name if response.resolver_match else name
    findings.visits.append(Visit(persona, url, answered_by, response.status_code,
                                 content_type, lang.group(1).decode() if lang else None, name))
    if response.status_code != 200:
        # A URL typed without a link may be closed to this persona (404/403, or the
        # login page for the anonymous visitor); a link the persona was shown may not.
        if not may_be_closed or response.status_code >= 500:
            findings.add(persona, url, f"answers {response.status_code}"
                         + (" (a menu link)" if from_menu else ""))
        return None
    if "text/html" not in content_type:
        return None
    if lang and lang.group(1).decode() != persona.language:
        findings.add(persona, url, f"is in {lang.group(1).decode()}, "
                                   f"the user chose {persona.language}")
    links = Links()
    links.feed(body.decode())
    return links


# --- the test ----------------------------------------------------------------------------


def test_every_page_for_every_persona(live_server, demo_world, browser):
    findings = Findings()
    everyone = personas()
    typed = ["/", *demo_records(), *parameterless_urls()]
    for persona in everyone:
        walk(persona, findings, typed)

    # A URL that redirects to a page that answers is reached too ("record an admission"
    # for someone already in hospital opens their stay).
    reached = {name for visit in findings.visits if visit.status == 200
               for name in (visit.url_name, visit.asked_name)}
    unreached = sorted(set(named_patterns()) - reached - findings.forms - set(NOT_LINKED))
    assert findings.problems == [], "\n".join(findings.problems)
    assert unreached == [], f"named URLs no persona reached: {unreached}"

    problems = check_in_browser(live_server, browser, one_visit_per_page(findings.visits))
    assert problems == [], "\n".join(problems)


def one_visit_per_page(visits: list[Visit]) -> list[Visit]:
    """One HTML page per named URL, spread over the personas (and so the languages)."""
    chosen: dict[str, Visit] = {}
    for visit in visits:
        if visit.status == 200 and "text/html" in visit.content_type:
            chosen.setdefault(visit.url_name, visit)
    return list(chosen.values())


def check_in_browser(live_server, browser, visits: list[Visit]) -> list[str]:
    problems = []
    by_persona = defaultdict(list)
    for visit in visits:
        by_persona[visit.persona.email].append(visit)
    for group in by_persona.values():
        persona = group[0].persona
        context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 740})
        session = client_for(persona).cookies
        context.add_cookies([{"name": morsel.key, "value": morsel.value, "url": live_server.url}
                             for morsel in session.values()])
        page = context.new_page()
        for visit in group:
            problems += check_one_page(page, live_server.url + visit.url, persona)
        context.close()
    return problems


def check_one_page(page, url: str, persona: Persona) -> list[str]:
    page.goto(url)
    where = f"{persona.name} {url}"
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE_WIDTH:
        problems.append(f"{where}: {width}px wide at {PHONE_WIDTH}px ({widest(page)})")
    if page.locator("html").get_attribute("lang") != persona.language:
        problems.append(f"{where}: not in {persona.language}")
    for violation in axe_violations(page):
        problems.append(f"{where}: axe {violation}")
    return problems


def widest(page) -> str:
    """The innermost elements that stick out of the screen, to say what to fix."""
    return page.evaluate("""() => {
        const edge = document.documentElement.clientWidth;
        const out = [...document.body.querySelectorAll('*')].filter(
            el => el.getBoundingClientRect().right > edge + 1);
        const innermost = out.filter(el => !out.some(other => other !== el && el.contains(other)));
        return innermost.slice(0, 3).map(el => el.tagName.toLowerCase() +
            (el.className ? '.' + el.className : '') + ' "' +
            (el.textContent || '').trim().slice(0, 40) + '"').join('; ');
    }""")


def axe_violations(page) -> list[str]:
    page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in result["violations"]]
