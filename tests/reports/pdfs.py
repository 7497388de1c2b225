"""PDFs for the signing tests: a tiny two-page document from WeasyPrint, and signatures
made directly with pyHanko by certificates the portal did not issue for documents."""

import shutil
import subprocess
from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

HTML = """<html><head><style>@page { size: A4; margin: 20mm }</style></head><body>
<h1>测试报告</h1><p>报告编号 HBJL-FH-2026-0001</p>
<p style="page-break-before: always">第二页：结论 符合</p></body></html>"""


def tiny_pdf() -> bytes:
    from weasyprint import HTML as Document

    return Document(string=HTML).write_pdf()


def der(certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def sign_with(pdf: bytes, certificate, key, chain=()) -> bytes:
    """Sign ``pdf`` invisibly with any certificate and key (cryptography objects)."""
    key_info = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=der(certificate),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([der(c) for c in chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Other", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    return signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=BytesIO()).getvalue()


def last_page_picture(pdf: bytes, tmp_path, dpi: int = 40) -> Image.Image:
    """The last page rendered by poppler (pdftoppm)."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    pages = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True
    ).stdout
    count = next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))
    prefix = tmp_path / "page"
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            count,
            "-l",
            count,
            "-r",
            str(dpi),
            "-png",
            "-singlefile",
            str(path),
            str(prefix),
        ],
        check=True,
    )
    return Image.open(f"{prefix}.png").convert("RGB")


def poppler_missing() -> bool:
    return shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None
