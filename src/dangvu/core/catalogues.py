"""Load the reference catalogues from the CSV files in ``core/data`` (see its README.md).

``load_catalogues(apps)`` is run by a data migration with the historical models, so it reads
models through ``apps`` and never imports ``core.models``. Every row is written with
``update_or_create`` on its natural key: running it again changes nothing, and running it after
a CSV correction updates the rows in place (primary keys, hence foreign keys, stay).
"""

import csv
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

# Catalogues whose CSV columns are named after the model's fields; other columns (``note``,
# ``school_system`` ...) document the row and are not loaded.
PLAIN_CATALOGUES = {
    "GeneralEducation": "general_education.csv",
    "ProfessionalQualification": "professional_qualifications.csv",
    "PoliticalTheory": "political_theory.csv",
    "OccupationGroup": "occupation_groups.csv",
    "OrganizationCategory": "organization_categories.csv",
    "OrganizationKind": "organization_kinds.csv",
}

ETHNICITY_SOURCE = "QĐ 121-TCTK/PPCĐ (Tổng cục Thống kê, 02/3/1979)"
# 55 and 56 are not in the 1979 list; both come from the Ministry of Health code list.
ETHNICITY_EXTRA_SOURCE = "Danh mục dân tộc, HL7 Vietnam FHIR IG vn-core-race (Cục CNTT – Bộ Y tế)"
UNKNOWN_ETHNICITY = {"code": "56", "name": "Không rõ", "aliases": "", "other_names_gso": ""}
RELIGION_SOURCE = "QĐ 1019/QĐ-TCTK (Tổng cục Thống kê, 12/11/2008), QCVN 109 Phụ lục G"
RELIGION_SOURCE_NO_CODE = (
    "Ban Tôn giáo Chính phủ: 16 tôn giáo được công nhận; TĐT dân số 2019, Biểu 3"
)
NO_RELIGION = "Không"
KINH = "01"


def read_rows(filename: str) -> list[dict[str, str]]:
    """The rows of a data file as dicts keyed by its header (UTF-8, codes kept as text)."""
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def load_catalogues(apps: Any) -> None:
    """Create or update every catalogue; ``apps`` is a migration's app registry (or django.apps)."""

    def model(name: str) -> Any:
        return apps.get_model("core", name)

    for model_name, filename in PLAIN_CATALOGUES.items():
        load_plain(model(model_name), filename)
    load_ethnicities(model("Ethnicity"))
    load_religions(model("Religion"))
    provinces_2025 = load_provinces_2025(model("Province"))
    load_provinces_2008(model("Province"), provinces_2025)
    load_communes_2025(model("Commune"), provinces_2025)


def load_plain(model: Any, filename: str) -> None:
    """Load a file whose columns are model fields, converting each value with its field."""
    fields = {f.name: f for f in model._meta.concrete_fields if not f.primary_key}
    for row in read_rows(filename):
        values = {name: fields[name].to_python(v) for name, v in row.items() if name in fields}
        model.objects.update_or_create(code=row["code"], defaults=values)


def is_minority(code: str) -> bool | None:
    """Kinh is the majority, 02–54 are minorities; foreigners (55) and unknown (56) are neither."""
    if code == KINH:
        return False
    return True if int(code) <= 54 else None


def load_ethnicities(model: Any) -> None:
    """The 55 rows of the file (QĐ 121 codes 01–54, 55 foreigners) plus 56 "Không rõ"."""
    for row in [*read_rows("ethnic_groups.csv"), UNKNOWN_ETHNICITY]:
        code = row["code"]
        model.objects.update_or_create(
            code=code,
            defaults={
                "name": row["name"],
                "sort_order": int(code),
                "aliases": row["aliases"],
                "other_names": row["other_names_gso"],
                "is_minority": is_minority(code),
                "source": ETHNICITY_SOURCE if int(code) <= 54 else ETHNICITY_EXTRA_SOURCE,
            },
        )


def load_religions(model: Any) -> None:
    """The 16 recognised religions and "Không"; the code is the file's row order, zero-padded.

    The GSO code is not used as the key because three rows (including "Không") have none.
    """
    for row in read_rows("religions.csv"):
        model.objects.update_or_create(
            code=row["order"].zfill(2),
            defaults={
                "name": row["name"],
                "sort_order": int(row["order"]),
                "gso_code": row["gso_code"],
                "aliases": religion_aliases(row),
                "is_religious": row["name"] != NO_RELIGION,
                "source": RELIGION_SOURCE if row["gso_code"] else RELIGION_SOURCE_NO_CODE,
            },
        )


def religion_aliases(row: dict[str, str]) -> str:
    """The file's aliases plus the 2019 census wording when it differs, so imports match both."""
    aliases = [row["name_census_2019"], *row["aliases"].split("|")]
    unique = dict.fromkeys(a for a in aliases if a and a != row["name"])
    return "|".join(unique)


def load_provinces_2025(model: Any) -> dict[str, Any]:
    """The 34 provincial units from 1/7/2025, returned by code for the 2008 links and communes."""
    provinces = {}
    for row in read_rows("provinces_2025.csv"):
        provinces[row["code"]], _ = model.objects.update_or_create(
            version="2025", code=row["code"], defaults=province_values(row)
        )
    return provinces


def load_provinces_2008(model: Any, provinces_2025: dict[str, Any]) -> None:
    """The 63 provinces of 2008–2025, each pointing to the 2025 unit it became part of."""
    for row in read_rows("provinces_2008.csv"):
        values = {**province_values(row), "successor": provinces_2025[row["code_2025"]]}
        model.objects.update_or_create(version="2008", code=row["code"], defaults=values)


def province_values(row: dict[str, str]) -> dict[str, str]:
    return {"name": row["name"], "full_name": row["full_name"], "kind": row["kind"]}


def load_communes_2025(model: Any, provinces_2025: dict[str, Any]) -> None:
    """The 3,321 communes, wards and special zones as in force on 1/7/2025."""
    for row in read_rows("communes_2025.csv"):
        model.objects.update_or_create(
            version="2025",
            code=row["code"],
            defaults={
                "name": row["name"],
                "kind": row["kind"],
                "province": provinces_2025[row["province_code"]],
                "resolution": row["resolution"],
            },
        )
