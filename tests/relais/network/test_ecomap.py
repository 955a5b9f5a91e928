"""The ecomap: a printable, accessible SVG picture of a person's care network.

No database: the map is drawn from plain MapMember values.
"""

import itertools
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from relais.network import ecomap
from relais.network.ecomap import (
    NODE_HEIGHT,
    NODE_WIDTH,
    SECTORS,
    MapMember,
    layout,
    render_ecomap,
    text_list,
)

SVG = "{http://www.w3.org/2000/svg}"

DAUGHTER = MapMember("Marie Dubois", ("Daughter", "Informal caregiver"), "informal",
                     is_contact_point=True, legal_marks=("trusted_person",),
                     phone="0475 12 34 56")
SON = MapMember("Luc Dubois", ("Son",), "informal", legal_marks=("representative",))
GP = MapMember("Dr. Anne Claes", ("General practitioner",), "health", phone="02 345 67 89")
NURSE = MapMember("Wit-Gele Kruis", ("Home nurse",), "health")
CPAS = MapMember("CPAS Anderlecht", ("Social worker",), "social",
                 legal_marks=("legal_representative",))
CENTRE = MapMember("Centre de coordination", ("Coordination centre",), "coordination")
NETWORK = [DAUGHTER, SON, GP, NURSE, CPAS, CENTRE]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def nodes(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "ecomap-node" in g.get("class", "").split()]


def texts(element: ET.Element) -> list[str]:
    return [text.text or "" for text in element.iter(f"{SVG}text")]


def crowded(count: int, sector: str = "health") -> list[MapMember]:
    return [MapMember(f"Professional {number}", ("Home nurse",), sector)
            for number in range(count)]


# --- The picture as a document --------------------------------------------------------------


def test_the_map_is_an_accessible_image_that_scales_to_the_page():
    root = parse(render_ecomap("Madeleine Lambert", NETWORK))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert len(root.get("viewBox").split()) == 4
    title, desc = root[0], root[1]
    assert title.tag == f"{SVG}title" and title.text == "Care network of Madeleine Lambert"
    assert desc.tag == f"{SVG}desc" and "Madeleine Lambert is in the centre" in desc.text
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]


def test_a_given_title_replaces_the_default_one():
    root = parse(render_ecomap("Madeleine Lambert", NETWORK, title="Who helps Madeleine"))
    assert root.find(f"{SVG}title").text == "Who helps Madeleine"
    assert "Who helps Madeleine" in texts(root)


def test_the_description_says_the_whole_map_in_words():
    desc = parse(render_ecomap("Madeleine Lambert", NETWORK)).find(f"{SVG}desc").text
    assert "6 members of their care network" in desc
    assert "Family and informal care: Marie Dubois (Contact point; Daughter;" in desc
    assert "CPAS Anderlecht (Social worker; Legal representative or administrator)" in desc


def test_no_inline_styles_and_no_scripts():
    markup = render_ecomap("Madeleine Lambert", NETWORK)
    root = parse(markup)
    assert "style=" not in markup
    assert not [element for element in root.iter() if element.tag in (f"{SVG}style",
                                                                     f"{SVG}script")]
    attributes = {name for element in root.iter() for name in element.attrib}
    assert "style" not in attributes
    assert not [name for name in attributes if name.startswith("on")]


def test_the_same_input_gives_the_same_markup():
    first = render_ecomap("Madeleine Lambert", NETWORK)
    ecomap._quadrant_offsets.cache_clear()  # computed afresh, not just remembered
    assert render_ecomap("Madeleine Lambert", list(NETWORK)) == first


def test_ids_differ_between_different_maps():
    first = parse(render_ecomap("Madeleine Lambert", NETWORK))
    second = parse(render_ecomap("Jean Lambert", NETWORK))
    assert first.find(f"{SVG}title").get("id") != second.find(f"{SVG}title").get("id")


# --- Members, the contact point and legal roles ---------------------------------------------


def test_one_node_per_member_with_name_and_first_role():
    found = nodes(parse(render_ecomap("Madeleine Lambert", NETWORK)))
    assert len(found) == len(NETWORK)
    node_texts = [texts(node) for node in found]
    assert ["Dr. Anne Claes", "General practitioner", "02 345 67 89"] in node_texts
    assert ["Wit-Gele Kruis", "Home nurse"] in node_texts
    assert [node.get("data-sector") for node in found] == [m.sector for m in NETWORK]


def test_every_member_is_linked_to_the_centre_and_the_contact_point_most_strongly():
    root = parse(render_ecomap("Madeleine Lambert", NETWORK))
    lines = list(root.iter(f"{SVG}line"))
    assert len(lines) == len(NETWORK)
    assert all((line.get("x1"), line.get("y1")) == ("0", "0") for line in lines)
    widths = [float(line.get("stroke-width")) for line in lines]
    assert widths[0] == max(widths) and widths.count(widths[0]) == 1


def test_the_contact_point_is_marked_without_relying_on_colour():
    found = nodes(parse(render_ecomap("Madeleine Lambert", NETWORK)))
    contact = [node for node in found if "ecomap-contact-point" in node.get("class")]
    assert len(contact) == 1
    assert texts(contact[0])[0] == "★ Marie Dubois"
    # A double border: an extra, outer rectangle.
    assert len(contact[0].findall(f"{SVG}rect")) == 2
    others = [node for node in found if node is not contact[0]]
    assert all(len(node.findall(f"{SVG}rect")) == 1 for node in others)
    assert not [text for node in others for text in texts(node) if "★" in text]


def test_legal_roles_carry_a_badge_letter_that_the_legend_explains():
    root = parse(render_ecomap("Madeleine Lambert", NETWORK))
    badges = {texts(node)[0]: texts(node)[-1] for node in nodes(root)
              if node.findall(f"{SVG}circle")}
    assert badges == {"★ Marie Dubois": "T", "Luc Dubois": "R", "CPAS Anderlecht": "L"}
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "ecomap-legend")
    legend_texts = texts(legend)
    for letter, meaning in [("T", "Trusted person"), ("R", "Representative"),
                            ("L", "Legal representative or administrator")]:
        assert legend_texts.index(meaning) == legend_texts.index(letter) + 1
    assert "Contact point" in legend_texts


def test_several_legal_roles_give_several_badges():
    both = MapMember("Luc Dubois", ("Son",), "informal",
                     legal_marks=("representative", "trusted_person"))
    node = nodes(parse(render_ecomap("Madeleine Lambert", [both])))[0]
    assert len(node.findall(f"{SVG}circle")) == 2
    assert texts(node)[-2:] == ["T", "R"]  # always in the legend's order


def test_sectors_are_named_in_their_corners():
    root = parse(render_ecomap("Madeleine Lambert", NETWORK))
    sectors = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "ecomap-sectors")
    assert texts(sectors) == ["Family and informal care", "Health care", "Social services",
                              "Care coordination"]


def test_unknown_sectors_and_marks_are_programming_errors():
    with pytest.raises(ValueError, match="sector"):
        render_ecomap("X", [MapMember("Y", (), "family")])
    with pytest.raises(ValueError, match="legal marks"):
        render_ecomap("X", [MapMember("Y", (), "informal", legal_marks=("guardian",))])


# --- Text from the data ---------------------------------------------------------------------


def test_names_are_escaped():
    evil = MapMember('<script>alert("x")</script> & Sons', ("<b>Role</b>",), "social",
                     phone="<img src=x onerror=alert(1)>")
    markup = render_ecomap("Tom & <Jerry>", [evil], title='"Quoted" & <title>')
    root = parse(markup)
    assert "<script>" not in markup and "<b>" not in markup and "<img" not in markup
    assert "&amp; Sons" in markup
    assert root.find(f"{SVG}title").text == '"Quoted" & <title>'
    assert "Tom & <Jerry>" in texts(root)
    assert texts(nodes(root)[0])[0].startswith("<script>")  # shown as text, not run


def test_control_characters_do_not_break_the_document():
    root = parse(render_ecomap("Ann\x00e\x1b", [MapMember("Bo\x0bb", ("R\x07",), "health")]))
    assert "Ann e" in texts(root)


def test_long_names_wrap_in_the_centre_and_are_truncated_in_nodes():
    long_name = "Jeanne-Marie Van den Bossche-Lefebvre de la Grande Chaussée"
    root = parse(render_ecomap(long_name, [MapMember(long_name, (long_name,), "health")]))
    centre = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "ecomap-centre")
    assert texts(centre) == ["Jeanne-Marie Van den", "Bossche-Lefebvre de l…"]
    name, role = texts(nodes(root)[0])
    assert name == "Jeanne-Marie Van de…" and len(name) == 20
    assert role.endswith("…") and len(role) == 26


def test_an_empty_network_says_so():
    root = parse(render_ecomap("Madeleine Lambert", []))
    assert nodes(root) == []
    assert "No one in the network yet" in texts(root)
    assert root.find(f"{SVG}desc").text == "No one in the network yet"


def test_fixed_texts_are_translated_at_render_time(monkeypatch):
    # Catalogues may lag behind; what matters is that each render asks gettext again.
    monkeypatch.setattr(ecomap, "_", lambda text: f"[{text}]")
    root = parse(render_ecomap("Ann", [DAUGHTER]))
    assert root.find(f"{SVG}title").text == "[Care network of Ann]"
    assert "[Contact point]" in texts(root) and "[Health care]" in texts(root)


# --- Layout ---------------------------------------------------------------------------------


def assert_boxes_apart(placed):
    for (_a, x1, y1), (_b, x2, y2) in itertools.combinations(placed, 2):
        assert abs(x1 - x2) >= NODE_WIDTH or abs(y1 - y2) >= NODE_HEIGHT, (x1, y1, x2, y2)


def assert_in_own_quadrant_clear_of_the_centre(placed):
    for member, x, y in placed:
        sign_x, sign_y = ecomap.QUADRANT_SIGNS[member.sector]
        assert sign_x * x >= NODE_WIDTH / 2 and sign_y * y >= NODE_HEIGHT / 2
        nearest = (abs(x) - NODE_WIDTH / 2, abs(y) - NODE_HEIGHT / 2)
        assert (nearest[0] ** 2 + nearest[1] ** 2) ** 0.5 > ecomap.CENTRE_RADIUS


def test_twelve_members_in_one_sector_do_not_overlap():
    placed = layout(crowded(12))
    assert len(placed) == 12
    assert_boxes_apart(placed)
    assert_in_own_quadrant_clear_of_the_centre(placed)
    assert len(nodes(parse(render_ecomap("Ann", crowded(12))))) == 12


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 9, 16, 17, 30])
def test_no_overlap_for_any_number_of_members_in_every_sector(count):
    members = [member for sector in SECTORS for member in crowded(count, sector)]
    placed = layout(members)
    assert [member for member, _x, _y in placed] == members
    assert_boxes_apart(placed)
    assert_in_own_quadrant_clear_of_the_centre(placed)


def test_every_node_fits_inside_the_picture():
    members = crowded(12) + NETWORK
    root = parse(render_ecomap("Ann", members))
    left, top, width, height = (float(v) for v in root.get("viewBox").split())
    for _member, x, y in layout(members):
        assert left <= x - NODE_WIDTH / 2 and x + NODE_WIDTH / 2 <= left + width
        assert top <= y - NODE_HEIGHT / 2 and y + NODE_HEIGHT / 2 <= top + height


def test_a_few_members_are_spread_on_a_ring():
    placed = layout(crowded(3))
    radii = {round((x**2 + y**2) ** 0.5, 3) for _m, x, y in placed}
    assert len(radii) == 1


def test_the_map_grows_only_when_it_must():
    small = parse(render_ecomap("Ann", NETWORK)).get("viewBox").split()
    big = parse(render_ecomap("Ann", crowded(12))).get("viewBox").split()
    assert float(small[2]) == 2 * ecomap.MIN_HALF_SIZE
    assert float(big[2]) > float(small[2])


# --- The text list beside the map -----------------------------------------------------------


def test_text_list_groups_members_by_sector_in_order_and_skips_empty_sectors():
    groups = text_list([CENTRE, GP, DAUGHTER, NURSE, SON])
    assert groups == [("Family and informal care", [DAUGHTER, SON]),
                      ("Health care", [GP, NURSE]),
                      ("Care coordination", [CENTRE])]
    assert text_list([]) == []
