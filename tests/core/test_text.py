"""Vietnamese text: names kept as typed, a search key that every spelling of a name shares."""

import unicodedata

import pytest

from dangvu.core.text import mask_identifier, normalize_name, search_key


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    "spelling",
    [
        "Nguyễn Văn Hùng",
        nfd("Nguyễn Văn Hùng"),  # decomposed, as some keyboards and PDF copies send it
        "NGUYỄN VĂN HÙNG",
        "nguyen van hung",
        "  Nguyễn   Văn\tHùng ",
    ],
)
def test_every_spelling_of_a_name_has_the_same_search_key(spelling):
    assert search_key(spelling) == "nguyen van hung"


@pytest.mark.parametrize(
    ("old_placement", "new_placement", "key"),
    [("Hoà", "Hòa", "hoa"), ("Thuỷ", "Thủy", "thuy"), ("Khoẻ", "Khỏe", "khoe")],
)
def test_old_and_new_tone_placement_share_the_search_key(old_placement, new_placement, key):
    assert search_key(old_placement) == search_key(new_placement) == key
    assert search_key(nfd(old_placement)) == key


def test_d_with_stroke_folds_to_d_in_both_cases():
    assert search_key("Đặng Thị Đào") == "dang thi dao"
    assert search_key(nfd("ĐẶNG THỊ ĐÀO")) == "dang thi dao"


def test_horn_and_breve_letters_fold_to_their_base_letter():
    assert search_key("Trương Thị Ngọc Ánh") == "truong thi ngoc anh"
    assert search_key("Lê Văn Ơn Ưng Ăn Ân") == "le van on ung an an"


@pytest.mark.parametrize("spelling", ["Ea H'Leo", "Ea H’Leo", "EA H‘LEO", "Ea HLeo"])
def test_apostrophes_are_ignored_by_the_search_key(spelling):
    assert search_key(spelling) == "ea hleo"


def test_normalize_name_keeps_the_tone_placement_as_typed():
    assert normalize_name("Lê Thị Hoà") == "Lê Thị Hoà"
    assert normalize_name("Lê Thị Hòa") == "Lê Thị Hòa"
    assert normalize_name("Hoà") != normalize_name("Hòa")


def test_normalize_name_returns_nfc_with_single_spaces():
    name = normalize_name(nfd("  Nguyễn   Thị\u00a0Thuỷ "))
    assert name == "Nguyễn Thị Thuỷ"
    assert unicodedata.is_normalized("NFC", name)


def test_normalize_name_does_not_change_case():
    assert normalize_name("NGUYỄN văn hùng") == "NGUYỄN văn hùng"


def test_mask_identifier_shows_only_the_last_three_digits():
    assert mask_identifier("001075012345") == "•••••••••345"
    assert mask_identifier("012345678") == "••••••678"


def test_mask_identifier_hides_short_values_entirely_and_leaves_empty_ones_empty():
    assert mask_identifier("123") == "•••"
    assert mask_identifier("") == ""


def test_mask_identifier_can_show_more_or_fewer_digits():
    assert mask_identifier("12345678", visible=4) == "••••5678"
