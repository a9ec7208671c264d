import hashlib
import hmac

from niaga.channels.whatsapp.signature import sign, verify

SECRET = "app-secret"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_signature_is_meta_format() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == f"sha256={expected}"


def test_verify_accepts_only_the_exact_body_and_secret() -> None:
    header = sign(BODY, SECRET)
    assert verify(BODY, header, SECRET)
    assert verify(BODY, header.upper().replace("SHA256=", "sha256="), SECRET)
    assert not verify(BODY + b" ", header, SECRET)
    assert not verify(BODY, header, "other-secret")
    assert not verify(BODY, None, SECRET)
    assert not verify(BODY, "", SECRET)
    assert not verify(BODY, header.removeprefix("sha256="), SECRET)
    assert not verify(BODY, "sha1=" + header[7:], SECRET)
