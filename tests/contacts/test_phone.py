import pytest

from niaga.core.phone import InvalidPhoneError, e164_from_wa_id, to_e164, wa_id_from_e164


@pytest.mark.parametrize(
    "raw",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 34567890", "+6281234567890"],
)
def test_indonesian_numbers_become_e164(raw: str) -> None:
    assert to_e164(raw) == "+6281234567890"


def test_foreign_wa_id_keeps_its_country() -> None:
    assert to_e164("16505551234") == "+16505551234"
    assert wa_id_from_e164("+16505551234") == "16505551234"


@pytest.mark.parametrize("raw", ["", "abc", "0812", "+99912345"])
def test_garbage_is_refused_clearly(raw: str) -> None:
    with pytest.raises(InvalidPhoneError):
        to_e164(raw)


def test_wa_id_that_is_not_a_number_gives_none() -> None:
    assert e164_from_wa_id("US.13491208655302741918") is None
