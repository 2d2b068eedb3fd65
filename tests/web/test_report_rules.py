"""The small-cell rules of the report and exports, and the CSV defusing of formulas."""

from __future__ import annotations

from web.render import csv_safe, negotiate
from web.suppress import cell, rate


def test_counts_under_three_are_hidden() -> None:
    assert [cell(n).value for n in range(5)] == [None, None, None, 3, 4]


def test_a_rate_needs_three_on_each_side() -> None:
    assert rate(0, 0).percent is None and not rate(0, 0).suppressed
    assert rate(2, 10).suppressed  # two people
    assert rate(8, 10).suppressed  # everyone but two
    assert rate(10, 10).suppressed  # everyone: each one's answer is known
    shown = rate(6, 10)
    assert shown.percent == 60.0 and not shown.suppressed


def test_csv_cells_never_run_as_formulas() -> None:
    text = csv_safe([["=HYPERLINK(1)", "+1", "-2", "@x", "plain", None, 3]])
    assert text == "'=HYPERLINK(1),'+1,'-2,'@x,plain,,3\r\n"


def test_the_browsers_language_is_matched_to_the_bots() -> None:
    from bot.i18n import Catalogs

    catalogs = Catalogs(("en", "es", "fr", "pt_BR", "ar"))
    assert negotiate(catalogs, "pt-BR,pt;q=0.9,en;q=0.8", "en") == "pt_BR"
    assert negotiate(catalogs, "pt-PT", "en") == "pt_BR"
    assert negotiate(catalogs, "de-DE,fr;q=0.5", "en") == "fr"
    assert negotiate(catalogs, "xx, ;q=bad", "es") == "es"
    assert negotiate(catalogs, None, "en") == "en"
