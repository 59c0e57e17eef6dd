import pytest

from forecast_keiba.netkeiba.decode import declared_charset, decode_html

TEXT = "<html><head><meta charset='EUC-JP'></head><body>東京 芝1600m 良</body></html>"


def test_euc_jp_bytes_decode_by_their_meta() -> None:
    assert decode_html(TEXT.encode("euc_jp")) == TEXT


def test_utf8_resaved_page_that_still_declares_euc_jp_decodes_as_utf8() -> None:
    # People re-save netkeiba pages as UTF-8 without fixing the meta tag.
    assert decode_html(TEXT.encode("utf-8")) == TEXT


def test_header_charset_wins_over_meta() -> None:
    page = TEXT.replace("EUC-JP", "Shift_JIS").encode("euc_jp")
    assert declared_charset(page, "euc-jp") == "euc_jp"
    assert decode_html(page, header_charset="EUC-JP") == TEXT.replace("EUC-JP", "Shift_JIS")


def test_unknown_declared_charset_falls_back() -> None:
    page = TEXT.replace("EUC-JP", "x-no-such").encode("euc_jp")
    assert declared_charset(page) is None
    assert "東京" in decode_html(page)


@pytest.mark.parametrize("damage", [b"\xff\xfe\xfd", b"\x8e"])
def test_undecodable_bytes_still_reach_the_parser(damage: bytes) -> None:
    page = TEXT.encode("euc_jp") + damage
    decoded = decode_html(page)
    assert decoded.startswith("<html>") and "東京" in decoded


def test_str_passes_through() -> None:
    assert decode_html(TEXT) is TEXT
