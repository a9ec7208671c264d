from datetime import UTC, datetime

from niaga.core.i18n import format_idr, format_local, gettext, negotiate


def test_rupiah_has_no_decimals_and_dot_grouping() -> None:
    assert format_idr(150000) == "Rp150.000"
    assert format_idr(1_250_000) == "Rp1.250.000"
    assert format_idr(0) == "Rp0"


def test_times_are_shown_in_jakarta_by_default() -> None:
    text = format_local(datetime(2026, 11, 28, 17, 30, tzinfo=UTC))
    assert "00.30" in text and "29" in text  # 17:30 UTC is 00:30 next day in WIB


def test_indonesian_first_english_second() -> None:
    assert gettext("Not found.") == "Tidak ditemukan."
    assert gettext("Not found.", "en") == "Not found."
    assert negotiate(None) == "id"
    assert negotiate("en-GB,en;q=0.8") == "en"
    assert negotiate("fr-FR") == "id"


def test_placeholders_are_filled_in_translation() -> None:
    assert gettext("Not a valid phone number: {phone}", "id", phone="123") == (
        "Nomor telepon tidak valid: 123"
    )
