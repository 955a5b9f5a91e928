"""core/templatetags/memo.py: kept fragments stay within their number and their size."""

from relais.core.templatetags import memo


def test_the_oldest_fragments_go_when_their_characters_pass_the_budget(monkeypatch):
    memo.forget()
    monkeypatch.setattr(memo, "CHARACTERS", 100)
    around = ("en", "UTC", None, "/")
    for n in range(5):
        assert memo.kept("test.fragment", (n,), lambda n=n: f"{n}" * 40, around) == f"{n}" * 40
    assert [key[-1] for key in memo._kept] == [3, 4]  # 80 characters; a third is 120
    assert memo._characters == 80
    renders = []
    memo.kept("test.fragment", (4,), lambda: renders.append(4) or "x", around)
    assert renders == []  # still kept: given back, not rendered again
    memo.forget()
    assert memo._characters == 0


def test_the_oldest_fragments_go_past_their_number(monkeypatch):
    memo.forget()
    monkeypatch.setattr(memo, "LIMIT", 3)
    for n in range(5):
        memo.kept("test.fragment", (n,), lambda n=n: str(n), ("en", "UTC", None, "/"))
    assert [key[-1] for key in memo._kept] == [2, 3, 4]
    memo.forget()
