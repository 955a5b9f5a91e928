"""The ecomap is drawn once per version of the network as a viewer sees it (issue 15).

Its cache key is a digest of everything the picture is drawn from (the members the viewer
may see, the language, the code): a change to the network, another language or a viewer
who sees fewer members gives another key, never someone else's picture.
"""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from relais.network import ecomap, services
from relais.network.ecomap import MapMember, cached_ecomap
from relais.network.models import MemberKind, Relation, Role

DAUGHTER = MapMember("Marie Dubois", ("Daughter",), "informal", is_contact_point=True)
GP = MapMember("Dr. Anne Claes", ("General practitioner",), "health")
HIDDEN = MapMember("Refuge Iris", ("Social worker",), "social")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def drawings(monkeypatch):
    """Counts the maps actually drawn (the cache's misses)."""
    drawn = []
    draw = ecomap.render_ecomap

    def counting(*args, **kwargs):
        drawn.append(args)
        return draw(*args, **kwargs)

    monkeypatch.setattr(ecomap, "render_ecomap", counting)
    return drawn


def _map(client, user, person) -> str:
    client.force_login(user)
    response = client.get(reverse("network:person_detail", args=[person.pk]))
    assert response.status_code == 200
    return str(response.context["map_svg"])


def test_viewers_who_see_the_same_network_share_one_drawing(
        client, madeleine, coordinator, gp, drawings):
    for user in (coordinator, gp):
        user.language = "en"
        user.save(update_fields=["language"])

    first = _map(client, coordinator, madeleine)
    second = _map(client, gp, madeleine)

    assert len(drawings) == 1
    assert first == second
    assert "Sophie Lambert" in first


def test_a_change_to_the_network_draws_a_new_map(client, madeleine, coordinator, drawings):
    before = _map(client, coordinator, madeleine)
    services.add_member(madeleine, kind=MemberKind.INFORMAL, name="Paul Lambert",
                        relation=Relation.CHILD, roles=[Role.INFORMAL_CAREGIVER],
                        actor=coordinator)

    after = _map(client, coordinator, madeleine)

    assert len(drawings) == 2
    assert "Paul Lambert" not in before
    assert "Paul Lambert" in after


def test_each_language_has_its_own_map(client, madeleine, coordinator, gp, drawings):
    coordinator.language, gp.language = "en", "fr"
    coordinator.save(update_fields=["language"])
    gp.save(update_fields=["language"])

    english = _map(client, coordinator, madeleine)
    french = _map(client, gp, madeleine)

    assert len(drawings) == 2
    assert "Care network of Madeleine Lambert" in english
    assert "Care network of" not in french


def test_a_viewer_who_sees_fewer_members_never_gets_the_fuller_map(drawings):
    with translation.override("en"):
        fuller = cached_ecomap("Madeleine Lambert", [DAUGHTER, GP, HIDDEN])
        narrower = cached_ecomap("Madeleine Lambert", [DAUGHTER, GP])
        again = cached_ecomap("Madeleine Lambert", [DAUGHTER, GP])

    assert "Refuge Iris" in fuller
    assert "Refuge Iris" not in narrower
    assert again == narrower
    assert len(drawings) == 2  # the fuller map, then the narrower one; the third from cache
