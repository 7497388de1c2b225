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


# The audit event a coefficient correction is recorded under (registered in events.py).
COEFFICIENT_EVENT = "item_coefficients_corrected"


def correct_default_coefficients(apps, write=print) -> dict[int, list[dict]]:
    """Give items left at the form's old default coefficient 1 their energy type's one.

    Only items whose ``convert_ration`` is exactly 1 and whose energy type's coefficient is
    not 1 are changed (a coefficient someone entered is never touched). Each changed item is
    written out (``write``, the console during ``migrate``) and recorded in one AuditEvent
    ``item_coefficients_corrected`` per enterprise, target the enterprise, with the items'
    codes, names and old and new coefficients in its context. ``apps`` is the migration's
    app registry (or django.apps.apps). Returns {enterprise id: [changed items]}.
    """
    from django.utils import timezone

    item_model = apps.get_model("telemetry", "DataItem")
    event_model = apps.get_model("portal", "AuditEvent")
    content_type_model = apps.get_model("contenttypes", "ContentType")
    items = list(
        item_model.objects.filter(convert_ration=1, energy_type__isnull=False)
        .exclude(energy_type__kgce_per_unit=1)
        .select_related("energy_type")
        .order_by("enterprise_id", "data_code")
    )
    if not items:
        return {}
    now = timezone.now()
    changed: dict[int, list[dict]] = {}
    for item in items:
        new = item.energy_type.kgce_per_unit
        changed.setdefault(item.enterprise_id, []).append(
            {
                "data_code": item.data_code,
                "name": item.name,
                "energy_code": item.energy_type.code,
                "from": "1",
                "to": str(new.normalize()),
            }
        )
        write(
            f"  折标系数 1 -> {new.normalize()}: enterprise {item.enterprise_id} "
            f"item {item.data_code} {item.name} ({item.energy_type.code})"
        )
        item.convert_ration = new
        item.updated_at = now  # the upload path's item cache sees the change
    with transaction.atomic():
        item_model.objects.bulk_update(items, ["convert_ration", "updated_at"])
        enterprise_type, _created = content_type_model.objects.get_or_create(
            app_label="portal", model="enterprise"
        )
        event_model.objects.bulk_create(
            event_model(
                event=COEFFICIENT_EVENT,
                content_type=enterprise_type,
                object_id=enterprise_id,
                enterprise_id=enterprise_id,
                comment="、".join(entry["data_code"] for entry in entries),
                context={"items": entries},
            )
            for enterprise_id, entries in changed.items()
        )
    return changed
