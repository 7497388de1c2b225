"""Hypothesis on CSR parsing (issue 14): whatever bytes arrive as a CSR, pki.check_csr
answers with the CSR or a CSRRejected naming why, never another exception."""

import base64
import functools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications import pki

USCC = "91420100MA4K2XXX1Y"
SERIAL = "HB-DEV-000123"
BINDING = {"uscc": USCC, "device_serial": SERIAL}
PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def good_der() -> bytes:
    key = pki.generate_device_key("ec")
    pem = pki.make_csr(key, **BINDING, enterprise_name="武汉某某钢铁有限公司")
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    return base64.b64decode(body)


def pem_of(der: bytes) -> bytes:
    body = base64.encodebytes(der)
    return b"-----BEGIN CERTIFICATE REQUEST-----\n" + body + b"-----END CERTIFICATE REQUEST-----\n"


def checked(data) -> None:
    try:
        csr = pki.check_csr(data, **BINDING)
    except pki.CSRRejected as refused:
        assert refused.field and refused.reason
    else:
        assert csr.is_signature_valid


@PROPERTY
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=2000)))
def test_arbitrary_input_is_refused_with_a_reason(data):
    checked(data)


@PROPERTY
@given(st.data())
def test_a_mutated_csr_is_refused_or_accepted_never_a_crash(data):
    der = bytearray(good_der())
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(der) - 1))
        der[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(der)))
    checked(pem_of(bytes(der[:cut])))


def test_the_unmutated_csr_passes():
    csr = pki.check_csr(pem_of(good_der()), **BINDING)
    assert csr.is_signature_valid
