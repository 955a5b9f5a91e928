"""Belgian names, addresses and national numbers for synthetic persons.

Names come from Faker's Belgian locales (nl_BE, fr_BE: 500 first names per sex and 500
surnames each, with their frequencies), plus the names of Brussels's larger communities
of other origins, which those lists lack. Drawing from the lists with our own seeded
`random.Random` is reproducible and a hundred times faster than asking Faker each time;
the same seed gives the same persons as long as Faker's lists do not change (the Faker
version is recorded with the dataset).
"""

import bisect
import itertools
from dataclasses import dataclass
from datetime import date, timedelta

try:  # an optional dependency: pip install 'relais[generate]'
    import faker
    from faker.providers.person.fr_BE import Provider as FrenchNames
    from faker.providers.person.nl_BE import Provider as DutchNames
except ImportError:  # pragma: no cover - checked by the command, with a clear message
    faker = None

# Brussels's other large communities (Moroccan, Turkish, Congolese, Polish, Italian,
# Spanish, Portuguese, Romanian origins), which the Belgian lists lack.
OTHER_FEMALE = ["Fatima", "Khadija", "Aïcha", "Naïma", "Zohra", "Yasmina", "Ayşe", "Hatice",
                "Emine", "Grâce", "Béatrice", "Krystyna", "Danuta", "Carmela", "Rosa",
                "Concepción", "Maria da Conceição", "Ioana", "Elena", "Salma", "Imane"]
OTHER_MALE = ["Mohamed", "Ahmed", "Rachid", "Mustafa", "Youssef", "Bilal", "Mehmet", "Ali",
              "Hasan", "Emre", "Papy", "Jean-Marie", "Piotr", "Tadeusz", "Stanisław",
              "Giuseppe", "Salvatore", "Manuel", "José", "Ion", "Mihai", "Karim"]
OTHER_SURNAMES = ["El Idrissi", "Benali", "El Amrani", "Ouali", "Benhaddou", "Tahiri",
                  "Cherkaoui", "Bouzid", "El Moussaoui", "Ait Ouali", "Yılmaz", "Öztürk",
                  "Kaya", "Demir", "Çelik", "Şahin", "Mukendi", "Kabongo", "Mbuyi", "Ilunga",
                  "Tshibangu", "Kalonji", "Nowak", "Kowalczyk", "Wiśniewska", "Kowalski",
                  "Russo", "Esposito", "Ferraro", "Romano", "García Pérez", "Fernández",
                  "Silva", "Pereira", "Popescu", "Ionescu", "Diallo"]

FRENCH_STREETS = ["Rue", "Rue", "Avenue", "Avenue", "Chaussée", "Boulevard", "Place",
                  "Clos", "Square"]
DUTCH_STREETS = ["straat", "straat", "laan", "laan", "steenweg", "dreef", "plein", "hof"]

# Real postcodes around Brussels and in the other regions, for the persons who live
# outside the 19 municipalities (Relais's reference data covers Brussels only).
OUTSIDE_BRUSSELS = ["1500", "1600", "1700", "1731", "1800", "1830", "1930", "1950", "1970",
                    "3000", "2000", "2800", "9000", "8000", "3500", "1300", "1340", "1410",
                    "1420", "4000", "5000", "6000", "7000", "1400"]


class Unavailable(Exception):
    """Faker is not installed."""


@dataclass(frozen=True)
class Pool:
    """Names and their cumulative weights, for `random.choices`."""

    names: tuple
    cumulative: tuple

    @classmethod
    def of(cls, weighted) -> "Pool":
        if isinstance(weighted, dict):
            names, weights = tuple(weighted), tuple(weighted.values())
        else:
            names, weights = tuple(weighted), (1.0,) * len(weighted)
        return cls(names, tuple(itertools.accumulate(weights)))

    def pick(self, rng) -> str:
        return self.names[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


class Names:
    """The pools by language ("nl", "fr", "other") and sex ("F", "M")."""

    def __init__(self):
        if faker is None:
            raise Unavailable
        self.first = {
            ("nl", "F"): Pool.of(DutchNames.first_names_female),
            ("nl", "M"): Pool.of(DutchNames.first_names_male),
            ("fr", "F"): Pool.of(FrenchNames.first_names_female),
            ("fr", "M"): Pool.of(FrenchNames.first_names_male),
            ("other", "F"): Pool.of(OTHER_FEMALE),
            ("other", "M"): Pool.of(OTHER_MALE),
        }
        self.last = {"nl": Pool.of(DutchNames.last_names), "fr": Pool.of(FrenchNames.last_names),
                     "other": Pool.of(OTHER_SURNAMES)}

    def first_name(self, rng, origin: str, sex: str) -> str:
        return self.first[origin, "F" if sex == "F" else "M"].pick(rng)

    def last_name(self, rng, origin: str) -> str:
        return self.last[origin].pick(rng)

    def street(self, rng, language: str) -> str:
        """A street named after a surname, as so many are, in the person's language."""
        name = self.last["fr" if language == "fr" else "nl"].pick(rng)
        number = rng.randint(1, 250)
        if language == "fr":
            return f"{rng.choice(FRENCH_STREETS)} {name} {number}"
        return f"{name.replace(' ', '')}{rng.choice(DUTCH_STREETS)} {number}"


def faker_version() -> str:
    return faker.VERSION if faker is not None else ""


# --- national numbers (DOMAIN.md §2) ----------------------------------------------------

SERIALS_PER_DAY = 498  # counters 1–997: odd for men, even for women, one of each per slot


@dataclass(frozen=True)
class BirthRange:
    """Birth dates handed out so that no two persons share a national number: the n-th
    person of this range gets day (n × step) mod days and serial slot n // days."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def capacity(self) -> int:
        return self.days * SERIALS_PER_DAY

    def birth(self, n: int) -> tuple[date, int]:
        step = _coprime_step(self.days)
        return self.first + timedelta(days=(n * step) % self.days), n // self.days


def _coprime_step(days: int) -> int:
    """A step that visits every day once before repeating, far apart from one n to the next."""
    step = 7919  # a prime; days is never a multiple of it here
    while days % step == 0:
        step += 2
    return step


def national_number(born: date, slot: int, sex: str) -> str:
    """YYMMDD, a serial (odd for men, even for women), and 97 − (9 digits mod 97), with a 2
    put before the 9 digits for those born from 2000."""
    serial = slot * 2 + (1 if sex == "M" else 2)
    first9 = int(f"{born:%y%m%d}{serial:03d}")
    checked = first9 + (2_000_000_000 if born.year >= 2000 else 0)
    return f"{first9:09d}{97 - checked % 97:02d}"
