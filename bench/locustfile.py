"""Fifty people at work in Relais at once (issue 18), for locust; bench/load.py runs it.

    locust -f bench/locustfile.py --headless --users 50 --run-time 10m --host http://…

Each simulated person signs in with their own account as a person does (the password, then
the current two-factor code for professionals), then works at their own pace (a few
seconds between steps) through the pages their role opens in a day, following the links
the pages give them rather than addresses typed in: a liaison nurse goes from the
hospital work list to a stay, its going-home sheet and the directory; a coordinator from
"my work" and the referrals to a person's network, booklet and follow-up, and writes in
the booklet; a GP from "my work" to a person's emergency sheet and consultations; the
home-care staff to their persons' booklets; a person or their daughter, through the
portal, to their own record and "who looked at it".

The accounts come from the file RELAIS_LOAD_LOGINS names (bench/load.py writes it):
{"password": …, "personas": {"liaison": [{"email": …, "totp_key": hex or null}, …], …}}.

Any answer other than 200 after redirects, a page that sends a signed-in person back to
the login, or a form that is refused counts as a failure: the goal is none.
"""

import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time

from locust import HttpUser, between, task

LOGINS = json.loads(open(os.environ["RELAIS_LOAD_LOGINS"], encoding="utf-8").read())  # noqa: SIM115
_next_login = {persona: itertools.count() for persona in LOGINS["personas"]}

PERSON = re.compile(r'href="/persons/(\d+)/"')
STAY = re.compile(r'href="/stays/(\d+)/"')
REFERRAL = re.compile(r'href="/referrals/(\d+)/"')
FOLLOWUP = re.compile(r'href="/followups/(\d+)/"')
CONSULTATION = re.compile(r'href="/consultations/(\d+)/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SEARCH_WORDS = ["thuis", "soins", "aide", "kine", "repas", "infirm", "psy", "social"]


def totp(key_hex: str, at: float) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), what the person's authenticator app shows."""
    counter = struct.pack(">Q", int(at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


class SignedIn(HttpUser):
    abstract = True
    persona = ""
    wait_time = between(1, 5)  # reading a page, typing
    start_pages = ("/", "/persons/")

    def on_start(self):
        accounts = LOGINS["personas"][self.persona]
        account = accounts[next(_next_login[self.persona]) % len(accounts)]
        self.sign_in(account)
        self.persons: list[str] = []
        for path in self.start_pages:
            self.discover(path, "home" if path == "/" else "person list")

    def sign_in(self, account) -> None:
        page = self.open("/accounts/login/", "login form")
        page = self.send("/accounts/login/", "login", page, {
            "username": account["email"], "password": LOGINS["password"]})
        if account["totp_key"]:
            self.send("/accounts/two-factor/verify/", "two-factor code", page,
                      {"token": totp(account["totp_key"], time.time())})

    def open(self, path, name) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            return self.check(response)

    def send(self, path, name, page, fields) -> str:
        """A form posted as the browser does: with the page's CSRF token."""
        token = CSRF.search(page)
        data = dict(fields, csrfmiddlewaretoken=token.group(1) if token else "")
        with self.client.post(path, data=data, name=name, catch_response=True) as response:
            text = self.check(response)
            if response.status_code == 200 and 'class="errorlist' in text:
                response.failure("the form was refused")
            return text

    def check(self, response) -> str:
        # Production's cookies are Secure. Browsers send them to http://127.0.0.1 as to
        # https (loopback is a secure context); requests would not: unmark them.
        for cookie in self.client.cookies:
            cookie.secure = False
        if response.status_code != 200:
            response.failure(f"HTTP {response.status_code}")
        elif "/accounts/login/" in response.url and "/accounts/login/" not in (
                response.request.path_url):
            response.failure("sent back to the login")
        return response.text

    def discover(self, path, name) -> str:
        page = self.open(path, name)
        self.persons = sorted(set(self.persons) | set(PERSON.findall(page)))
        return page

    def a_person(self) -> str | None:
        return random.choice(self.persons) if self.persons else None

    def visit_a_person(self, *parts) -> str | None:
        """The person page, then some of its own pages: what opening a record looks like."""
        person = self.a_person()
        if person is None:
            return None
        page = self.open(f"/persons/{person}/", "person (network)")
        for part in parts:
            self.open(f"/persons/{person}/{part}/", f"person {part}")
        return page

    def write_in_the_booklet(self) -> None:
        """The booklet, then its form at the top: a visit written down."""
        person = self.a_person()
        if person is None:
            return
        booklet = self.open(f"/persons/{person}/booklet/", "person booklet")
        form = booklet[booklet.find("/booklet/new/"):]
        fields = {"body": f"Passage {random.randint(1, 999)}: tout va bien, a bien mangé."}
        for name in ("kind", "audience"):
            choice = re.search(rf'<select name="{name}"[^>]*>.*?<option value="([^"]+)"',
                               form, re.S)
            if choice:
                fields[name] = choice.group(1)
        self.send(f"/persons/{person}/booklet/new/", "booklet entry (write)", form, fields)


class LiaisonNurse(SignedIn):
    persona = "liaison"
    fixed_count = 12

    @task(4)
    def work_list_to_a_stay(self):
        page = self.open("/hospital/worklist/", "hospital work list")
        stays = STAY.findall(page)
        self.persons = sorted(set(self.persons) | set(PERSON.findall(page)))
        if stays:
            stay = random.choice(stays)
            self.open(f"/stays/{stay}/", "stay (discharge plan)")
            self.open(f"/stays/{stay}/going-home/", "going-home sheet")

    @task(2)
    def directory(self):
        self.open(f"/directory/?q={random.choice(SEARCH_WORDS)}", "directory search")

    @task(2)
    def a_record(self):
        self.visit_a_person("booklet")


class Coordinator(SignedIn):
    persona = "coordinator"
    fixed_count = 12

    @task(3)
    def my_work(self):
        page = self.discover("/work/", "my work")
        followups = FOLLOWUP.findall(page)
        if followups:
            self.open(f"/followups/{random.choice(followups)}/", "follow-up")

    @task(2)
    def referrals(self):
        page = self.open("/referrals/", "referrals")
        referrals = REFERRAL.findall(page)
        if referrals:
            self.open(f"/referrals/{random.choice(referrals)}/", "referral")

    @task(4)
    def a_record(self):
        self.visit_a_person("booklet", "timeline")

    @task(1)
    def write(self):
        self.write_in_the_booklet()


class GeneralPractitioner(SignedIn):
    persona = "gp"
    fixed_count = 10

    @task(2)
    def my_work(self):
        self.discover("/work/", "my work")

    @task(3)
    def a_record(self):
        self.visit_a_person("emergency-sheet", "consultations")

    @task(1)
    def consultations(self):
        person = self.a_person()
        if person:
            page = self.open(f"/persons/{person}/consultations/", "person consultations")
            found = CONSULTATION.findall(page)
            if found:
                self.open(f"/consultations/{random.choice(found)}/", "consultation")


class HomeCare(SignedIn):
    persona = "home"
    fixed_count = 8

    @task(3)
    def a_booklet(self):
        self.visit_a_person("booklet", "emergency-sheet")

    @task(1)
    def write(self):
        self.write_in_the_booklet()

    @task(1)
    def my_work(self):
        self.discover("/work/", "my work")


class PortalUser(SignedIn):
    """A person or their caregiver: no two-factor code (not a professional account)."""

    persona = "portal"
    fixed_count = 8
    wait_time = between(3, 10)  # slower than the professionals: reading, not working
    start_pages = ("/",)  # their own record is on their home page

    @task(3)
    def own_record(self):
        self.visit_a_person("booklet")

    @task(1)
    def who_looked(self):
        self.visit_a_person("who-looked")
