"""PAdES signatures on issued PDFs, made with the portal's document-signing certificate.

``sign_pdf`` appends an incremental update holding a visible signature field on the last
page (``SEAL_BOX_MM``: the seal, the signer and the time) and a PAdES baseline (B-B)
signature that embeds the signing certificate and the root, so that a reader can build the
chain to the portal's root. ``validate_pdf`` checks such a file: intact (not a byte changed,
nothing appended), and trusted (chains to the active root with the document-signing key
purpose; a device certificate from the same root is not trusted to sign documents).

The certificate and its encrypted key live in ``applications.DocumentSigningCertificate``;
the seal image in ``reports.InstitutionSeal`` (uploaded on /reports/seal/).
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from applications.models import CANotReady, DocumentSigningCertificate, RootCertificate
from applications.pki_docsign import DOCUMENT_SIGNING
from applications.services.document_signing import issue_signing_certificate

from . import seal_image
from .models import InstitutionSeal

logger = logging.getLogger(__name__)

# The visible signature on the LAST page: (x from the left, y from the bottom, width,
# height) in millimetres. Templates keep this corner free.
SEAL_BOX_MM = (120.0, 20.0, 70.0, 45.0)
_PT_PER_MM = 72 / 25.4

# What the signer's certificate must allow: non-repudiation and document signing.
KEY_USAGE = KeyUsageConstraints(
    key_usage={"non_repudiation"},
    extd_key_usage={DOCUMENT_SIGNING.dotted_string, "document_signing"},
    explicit_extd_key_usage_required=True,
)


class SigningUnavailable(Exception):
    """The portal cannot sign: no CA yet, or its key cannot be read. ``reason`` says which."""

    def __init__(self, reason: str):
        self.reason = str(reason)
        super().__init__(self.reason)


@dataclass(frozen=True)
class SignatureCheck:
    signed: bool
    intact: bool
    trusted: bool
    signer: str
    signed_at: datetime | None
    problem: str  # a Chinese sentence; "" when the file is signed, intact and trusted

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.trusted


def ensure_signing_certificate() -> DocumentSigningCertificate:
    """The usable document-signing certificate, issued from the active root when missing
    (also after the root was replaced or the certificate expired)."""
    try:
        return issue_signing_certificate()
    except CANotReady as exc:
        raise SigningUnavailable(
            "门户尚未初始化 CA 根证书，无法签发文件签章证书：请运维人员先执行 manage.py init_ca。"
        ) from exc


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _signer(record: DocumentSigningCertificate) -> signers.SimpleSigner:
    try:
        key = record.private_key()
    except ValueError as exc:
        raise SigningUnavailable(
            "无法解密文件签章私钥：CA_KEY_PASSPHRASE 与签发时不一致，或私钥已损坏。"
        ) from exc
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    root = _asn1_certificate(record.root.certificate())
    return signers.SimpleSigner(
        signing_cert=_asn1_certificate(record.certificate()),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([root]),
        embed_roots=True,
    )


def _seal() -> Image.Image:
    uploaded = InstitutionSeal.current()
    if uploaded is not None:
        return Image.open(BytesIO(bytes(uploaded.image_png)))
    return seal_image.default_seal()


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def sign_pdf(pdf: bytes, *, reason: str, location: str = "湖北省武汉市") -> bytes:
    """``pdf`` with a PAdES signature and the visible seal on its last page appended.

    Raises SigningUnavailable when there is no CA (the certificate itself is issued here
    when missing), ValueError when ``pdf`` is not a readable PDF.
    """
    record = ensure_signing_certificate()
    signer = _signer(record)
    signer_name = _common_name(record.certificate())
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except Exception as exc:  # pyHanko raises several types for broken input
        raise ValueError("无法签章：不是有效的 PDF 文件。") from exc

    x, y, width, height = SEAL_BOX_MM
    picture = seal_image.stamp_image(
        _seal(),
        signer=signer_name,
        signed_at=timezone.localtime(),
        width_mm=width,
        height_mm=height,
    )
    stamp = StaticStampStyle(
        background=PdfImage(picture),
        background_opacity=1.0,
        border_width=0,
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(0),
        ),
    )
    box = tuple(round(value * _PT_PER_MM, 2) for value in (x, y, x + width, y + height))
    field_name = f"Seal-{uuid.uuid4().hex[:12]}"
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=field_name,
            reason=reason,
            location=location,
            name=signer_name,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
        ),
        signer=signer,
        stamp_style=stamp,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=-1, box=box),
    )
    output = pdf_signer.sign_pdf(writer, output=BytesIO())
    return output.getvalue()


def _refused(problem: str, *, signed: bool = False, signer: str = "", signed_at=None):
    return SignatureCheck(
        signed=signed,
        intact=False,
        trusted=False,
        signer=signer,
        signed_at=signed_at,
        problem=problem,
    )


def validate_pdf(pdf: bytes) -> SignatureCheck:
    """Whether ``pdf`` carries intact signatures that chain to the portal's active root.

    Every signature in the file must be intact and trusted, and the last must cover the
    whole file (nothing appended after signing). The signer's certificate is checked at the
    time the signature says it was made, so issued documents stay verifiable after the
    signing certificate has been renewed or has expired.
    """
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception:  # any parse failure means "not a readable PDF"
        return _refused("无法读取该文件：不是有效的 PDF 文件，或文件已损坏。")
    if not signatures:
        return _refused("该 PDF 文件没有数字签名。")

    root = RootCertificate.objects.filter(is_active=True).first()
    trust_roots = [_asn1_certificate(root.certificate())] if root is not None else []
    statuses = []
    for signature in signatures:
        try:
            context = ValidationContext(
                trust_roots=trust_roots,
                allow_fetching=False,
                moment=signature.self_reported_timestamp or timezone.now(),
            )
            statuses.append(
                validate_pdf_signature(
                    signature, signer_validation_context=context, key_usage_settings=KEY_USAGE
                )
            )
        except Exception:  # a damaged signature dictionary or CMS blob
            logger.info("PDF signature could not be validated", exc_info=True)
            return _refused("文件中的数字签名已损坏，无法校验。", signed=True)

    last = statuses[-1]
    signer = _signer_name(last)
    signed_at = last.signer_reported_dt
    intact = all(status.intact and status.valid for status in statuses)
    whole = last.coverage == SignatureCoverageLevel.ENTIRE_FILE
    trusted = all(status.trusted for status in statuses)
    if not intact:
        problem = "签名后文件内容已被改动：签名校验失败，该文件不是原始签发的文件。"
    elif not whole:
        problem = "签名之后文件又被追加修改过，该文件不是原始签发的文件。"
    elif root is None:
        problem = "门户尚未初始化 CA 根证书，无法确认签名者。"
    elif not trusted:
        problem = "签名证书不是本门户 CA 根证书签发的文件签章证书，无法确认签名者。"
    else:
        problem = ""
    return SignatureCheck(
        signed=True,
        intact=intact and whole,
        trusted=trusted and root is not None,
        signer=signer,
        signed_at=signed_at,
        problem=problem,
    )


def _signer_name(status) -> str:
    try:
        return status.signing_cert.subject.native.get("common_name", "") or ""
    except (AttributeError, ValueError):
        return ""
