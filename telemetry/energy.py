"""Loading the energy-type dictionary (GB/T 2589 coefficients) as a new version.

The CSV ships inside the app (``telemetry/data/energy_coefficients.csv``); a later edition
of the standard is loaded beside it as another version, so items keep the coefficient they
were configured with. Used by ``manage.py load_energy_dictionary`` and by a data migration
(which passes its historical models).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

DEFAULT_CSV = Path(__file__).resolve().parent / "data" / "energy_coefficients.csv"
COLUMNS = ("code", "name_zh", "name_en", "unit", "kgce_per_unit")


class DictionaryFileError(ValueError):
    """The CSV cannot be loaded; the message names the row and column."""


@dataclass(frozen=True)
class LoadResult:
    version: str
    created: bool
    types: int


def default_version(content: bytes) -> str:
    """A version name derived from the file's content, so reloading it is a no-op."""
    return f"GB/T 2589 · {hashlib.sha256(content).hexdigest()[:12]}"


def parse_rows(content: bytes) -> list[dict]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DictionaryFileError("能源品种字典文件应为 UTF-8 编码的 CSV") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DictionaryFileError(f"缺少列：{', '.join(missing)}")
    rows, seen = [], set()
    for number, row in enumerate(reader, start=2):
        code = (row["code"] or "").strip()
        if not code or code in seen:
            raise DictionaryFileError(f"第 {number} 行 code 列：能源代码为空或重复（{code!r}）")
        seen.add(code)
        try:
            coefficient = Decimal(row["kgce_per_unit"].strip())
        except (InvalidOperation, AttributeError) as exc:
            raise DictionaryFileError(f"第 {number} 行 kgce_per_unit 列：不是数字") from exc
        if coefficient <= 0:
            raise DictionaryFileError(f"第 {number} 行 kgce_per_unit 列：折标系数应大于 0")
        rows.append(
            {
                "code": code,
                "name": row["name_zh"].strip(),
                "name_en": (row["name_en"] or "").strip(),
                "unit": row["unit"].strip(),
                "kgce_per_unit": coefficient,
            }
        )
    if not rows:
        raise DictionaryFileError("文件中没有能源品种")
    return rows


def load_energy_dictionary(
    path: Path | None = None,
    version: str | None = None,
    *,
    dictionary_model=None,
    type_model=None,
) -> LoadResult:
    """Load ``path`` as dictionary ``version`` and make it current; idempotent.

    Loading a version that already exists with the same content only marks it current; the
    same version name with different content is refused rather than silently rewritten.
    """
    if dictionary_model is None:
        from .models import EnergyDictionary as dictionary_model
        from .models import EnergyType as type_model
    path = Path(path or DEFAULT_CSV)
    content = path.read_bytes()
    rows = parse_rows(content)
    version = version or default_version(content)
    with transaction.atomic():
        existing = dictionary_model.objects.select_for_update().filter(version=version).first()
        created = existing is None
        if existing is not None:
            stored = {
                t.code: (t.name, t.unit, t.kgce_per_unit)
                for t in type_model.objects.filter(dictionary=existing)
            }
            wanted = {r["code"]: (r["name"], r["unit"], r["kgce_per_unit"]) for r in rows}
            if stored != wanted:
                raise DictionaryFileError(
                    f"版本 {version} 已存在且内容不同；请为新内容指定新的版本号（--version）"
                )
            dictionary = existing
        else:
            dictionary = dictionary_model.objects.create(version=version, source=path.name)
            type_model.objects.bulk_create(type_model(dictionary=dictionary, **r) for r in rows)
        dictionary_model.objects.filter(is_current=True).exclude(pk=dictionary.pk).update(
            is_current=False
        )
        if not dictionary.is_current:
            dictionary_model.objects.filter(pk=dictionary.pk).update(is_current=True)
    return LoadResult(version, created, len(rows))


def current_energy_types():
    from .models import EnergyType

    return EnergyType.objects.filter(dictionary__is_current=True).order_by("code")
