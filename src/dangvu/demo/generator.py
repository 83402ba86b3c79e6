"""The demo organization tree with its real history, and its people.

Until 30/6/2025: the old provinces of the chosen new ones, each with districts, the district's
commune committees (grassroots committees) with their village cells, and a few schools and
enterprises. On 1/7/2025 the reform is replayed through the services: merged provinces become
one new provincial committee, commune committees are merged into the new communes (real names
of the 2025 catalogue), which change kind and move under the province; organizations kept by a
district move under a new commune; districts are dissolved. The same seed and date give the same
data: everything random comes from one seeded generator.
"""

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dangvu.core.models import (
    Commune,
    Ethnicity,
    GeneralEducation,
    OrganizationCategory,
    OrganizationKind,
    PoliticalTheory,
    Province,
    Religion,
)
from dangvu.demo import names
from dangvu.organizations import services as org
from dangvu.organizations.models import Organization, SeatRole
from dangvu.people import services as people
from dangvu.people.models import Person

FOUNDED = date(1960, 1, 1)
REFORM = date(2025, 7, 1)
# 2008 provinces of the northern mountains and the Central Highlands, where most members
# belong to ethnic minorities.
NORTHERN_UPLANDS = {"02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "20"}
HIGHLANDS = {"62", "64", "66", "67", "68"}


# Grassroots organizations of every category besides communes and villages:
# (category, code letter, name pattern, kind); enterprises are committees with their own cells.
UNITS = [
    ("school", "S", "Chi bộ Trường THPT {}", "grassroots_cell"),
    ("hospital", "B", "Chi bộ Trung tâm Y tế {}", "grassroots_cell"),
    ("party_agency", "D", "Chi bộ Cơ quan Huyện ủy {}", "grassroots_cell"),
    ("state_agency", "N", "Chi bộ Phòng Tài chính - Kế hoạch {}", "grassroots_cell"),
    (
        "front_and_mass_organization",
        "M",
        "Chi bộ Cơ quan Mặt trận và các đoàn thể {}",
        "grassroots_cell",
    ),
    ("public_service_unit", "V", "Chi bộ Trung tâm Văn hóa {}", "grassroots_cell"),
    ("cooperative", "H", "Chi bộ Hợp tác xã {}", "grassroots_cell"),
    ("army", "Q", "Chi bộ Ban Chỉ huy Quân sự {}", "grassroots_cell"),
    ("police", "A", "Chi bộ Công an {}", "grassroots_cell"),
    ("state_enterprise", "E", "Đảng bộ Công ty TNHH MTV {}", "grassroots_committee"),
    ("non_state_enterprise", "C", "Đảng bộ Công ty cổ phần {}", "grassroots_committee"),
    (
        "foreign_invested_enterprise",
        "F",
        "Đảng bộ Công ty TNHH {} Việt Nam",
        "grassroots_committee",
    ),
]


def unit_name(official: str) -> str:
    """ "Tỉnh Phú Thọ" → "tỉnh Phú Thọ", as it reads after "Đảng bộ"; the name keeps its case."""
    kind, _, name = official.partition(" ")
    if kind == "Đặc":  # "Đặc khu ..."
        kind, _, name = official.partition(" khu ")
        return f"đặc khu {name}"
    if kind == "Thành" and name.startswith("phố "):
        return f"thành phố {name[4:]}"
    return f"{kind.lower()} {name}"


def ethnicity_for(rng: random.Random, province_code: str) -> str:
    """An ethnic group (1979 code) drawn with the weight of minorities in the 2008 province."""
    if province_code in NORTHERN_UPLANDS and rng.random() < 0.6:
        return rng.choice(names.NORTHERN_MINORITIES)
    if province_code in HIGHLANDS and rng.random() < 0.35:
        return rng.choice(names.HIGHLAND_MINORITIES)
    return "04" if rng.random() < 0.01 else "01"


@dataclass
class DemoOptions:
    provinces: int = 2
    seed: int = 1
    as_of: date = field(default_factory=date.today)
    communes_per_province: int = 8
    cells_per_commune: int = 4
    people_per_cell: int = 4


class DemoBuilder:
    """Builds the demo tree and people through the services, acting as ``actor``."""

    def __init__(self, actor: Any, options: DemoOptions):
        self.actor = actor
        self.options = options
        self.rng = random.Random(options.seed)
        self.kinds = {k.code: k for k in OrganizationKind.objects.all()}
        self.categories = {c.code: c for c in OrganizationCategory.objects.all()}
        self.ethnicities = {e.code: e for e in Ethnicity.objects.all()}
        self.no_religion = Religion.objects.get(is_religious=False)
        self.religions = list(Religion.objects.filter(is_religious=True)[:4])
        self.education = list(GeneralEducation.objects.all())
        self.theory = list(PoliticalTheory.objects.all())
        self.codes: set[str] = set()
        self.stats = {"organizations": 0, "people": 0}

    # --- the tree -------------------------------------------------------------------------

    def build(self) -> dict[str, int]:
        central = self.establish("TW", "Trung ương Đảng", "central", None, FOUNDED)
        for new_province in self.pick_provinces():
            self.build_province(central, new_province)
        return self.stats

    def pick_provinces(self) -> list[Province]:
        """Merged 2025 provinces first (they make the reform visible), chosen by the seed."""
        merged = [p for p in Province.objects.filter(version="2025") if p.predecessors.count() > 1]
        return sorted(
            self.rng.sample(merged, min(self.options.provinces, len(merged))), key=lambda p: p.code
        )

    def establish(
        self,
        code: str,
        name: str,
        kind: str,
        parent: Organization | None,
        on: date,
        category: str = "",
        **extra: Any,
    ) -> Organization:
        self.stats["organizations"] += 1
        return org.establish(
            actor=self.actor,
            code=code,
            name=name,
            kind=self.kinds[kind],
            parent=parent,
            on=on,
            category=self.categories.get(category) if category else None,
            **extra,
        )

    def unique_code(self, prefix: str) -> str:
        number = 1
        while f"{prefix}{number:02d}" in self.codes:
            number += 1
        self.codes.add(f"{prefix}{number:02d}")
        return f"{prefix}{number:02d}"

    def build_province(self, central: Organization, new_province: Province) -> None:
        old_communes: list[Organization] = []
        district_units: list[Organization] = []
        old_provinces = []
        for old in new_province.predecessors.order_by("code"):
            old_org = self.establish(
                f"T{old.code}",
                f"Đảng bộ {unit_name(old.full_name)}",
                "provincial",
                central,
                FOUNDED,
                province=old,
            )
            old_provinces.append(old_org)
            for _ in range(2):
                district, communes, units = self.build_district(old_org, old.code)
                old_communes += communes
                district_units += units
        if self.options.as_of < REFORM:
            return
        self.replay_reform(central, new_province, old_provinces, old_communes, district_units)

    def build_district(self, province: Organization, province_code: str):
        place = names.place_name(self.rng)
        code = self.unique_code(f"H{province_code}-")
        district = self.establish(code, f"Đảng bộ huyện {place}", "upper", province, FOUNDED)
        communes = []
        for _ in range(self.rng.randint(3, 5)):
            communes.append(self.build_old_commune(district, province_code))
        units = [self.build_unit(district, province_code) for _ in range(self.rng.randint(1, 2))]
        return district, communes, units

    def build_old_commune(self, district: Organization, province_code: str) -> Organization:
        draw = self.rng.random()
        ward = draw < 0.35  # wards and townships have residential groups, communes villages
        label, category = (
            ("phường", "ward")
            if draw < 0.27
            else ("thị trấn", "township")
            if ward
            else ("xã", "commune")
        )
        commune = self.establish(
            self.unique_code(f"X{province_code}-"),
            f"Đảng bộ {label} {names.place_name(self.rng)}",
            "grassroots_committee",
            district,
            FOUNDED,
            category,
        )
        cell_word, cell_category = (
            ("tổ dân phố", "residential_group") if ward else ("thôn", "village")
        )
        count = self.options.cells_per_commune
        for number in range(1, self.rng.randint(max(1, count - 1), count + 1) + 1):
            cell = self.establish(
                f"{commune.code}-{number:02d}",
                f"Chi bộ {cell_word} {names.place_name(self.rng)}",
                "cell",
                commune,
                FOUNDED,
                cell_category,
            )
            self.add_people(cell, province_code)
        return commune

    def build_unit(self, district: Organization, province_code: str) -> Organization:
        """A grassroots organization of another category kept by the district: an agency, a
        school, a hospital, the armed forces, or an enterprise with its own cells."""
        place = names.place_name(self.rng)
        category, letter, pattern, kind = self.rng.choice(UNITS)
        unit = self.establish(
            self.unique_code(f"{letter}{province_code}-"),
            pattern.format(place),
            kind,
            district,
            FOUNDED,
            category,
        )
        if kind == "grassroots_committee":
            for number in (1, 2):
                self.establish(
                    f"{unit.code}-{number:02d}",
                    f"Chi bộ phân xưởng {number}",
                    "cell",
                    unit,
                    FOUNDED,
                    category,
                )
        self.add_people(unit, province_code)
        return unit

    def replay_reform(
        self,
        central: Organization,
        new_province: Province,
        old_provinces: list[Organization],
        old_communes: list[Organization],
        district_units: list[Organization],
    ) -> None:
        """1/7/2025: one provincial committee, new communes under it, districts dissolved."""
        province = self.establish(
            f"P{new_province.code}",
            f"Đảng bộ {unit_name(new_province.full_name)}",
            "provincial",
            central,
            REFORM,
            province=new_province,
        )
        new_communes = list(Commune.objects.filter(province=new_province).order_by("code"))
        groups = self.group(old_communes, self.options.communes_per_province)
        successors = []
        for commune, sources in zip(
            self.rng.sample(new_communes, len(groups)), groups, strict=True
        ):
            category = {"phường": "ward", "đặc khu": "special_zone"}.get(commune.kind, "commune")
            successor = self.establish(
                f"P{new_province.code}-{commune.code}",
                f"Đảng bộ {unit_name(commune.name)}",
                "upper",
                province,
                REFORM,
                category,
                commune=commune,
            )
            org.merge(actor=self.actor, sources=sources, into=successor, on=REFORM)
            successors.append(successor)
        for unit in district_units:
            org.move(
                actor=self.actor,
                organization=unit,
                new_parent=self.rng.choice(successors),
                on=REFORM,
            )
        for old_province in old_provinces:
            for district in old_province.children.filter(dissolved_on__isnull=True):
                org.dissolve(actor=self.actor, organization=district, on=REFORM)
            org.dissolve(actor=self.actor, organization=old_province, on=REFORM, target=province)

    def group(self, items: list[Organization], count: int) -> list[list[Organization]]:
        """Split ``items`` into ``count`` non-empty groups (old communes merged into one new)."""
        items = items[:]
        self.rng.shuffle(items)
        count = max(1, min(count, len(items)))
        return [items[i::count] for i in range(count)]

    # --- people -------------------------------------------------------------------------

    def add_people(self, home: Organization, province_code: str) -> None:
        for _ in range(self.options.people_per_cell):
            self.make_person(home, province_code)

    def ethnicity_code(self, province_code: str) -> str:
        return ethnicity_for(self.rng, province_code)

    def make_person(self, home: Organization, province_code: str) -> Person:
        rng = self.rng
        gender = "female" if rng.random() < 0.38 else "male"
        ethnicity = self.ethnicity_code(province_code)
        year = rng.randint(1945, 2004)
        precision = rng.random()
        month = rng.randint(1, 12) if precision > 0.05 else None
        day = rng.randint(1, 28) if precision > 0.15 else None
        religion = rng.choice(self.religions) if rng.random() < 0.05 else self.no_religion
        person = people.create_person(
            actor=self.actor,
            home_organization=home,
            full_name=names.full_name(rng, gender, ethnicity),
            gender=gender,
            birth_year=year,
            birth_month=month,
            birth_day=day,
            ethnicity=self.ethnicities[ethnicity],
            religion=religion,
            hometown=f"Xã {names.place_name(rng)}",
        )
        self.add_education(person, year)
        self.stats["people"] += 1
        return person

    def add_education(self, person: Person, birth_year: int) -> None:
        """Dated rows: the general education finished at 18, a theory course later in life."""
        if self.education:
            level = self.education[min(len(self.education) - 1, self.rng.randint(1, 5))]
            people.record_education(
                actor=self.actor, person=person, level=level, valid_from=date(birth_year + 18, 6, 1)
            )
        if self.theory and self.rng.random() < 0.5 and birth_year + 35 < self.options.as_of.year:
            theory = self.rng.choice(self.theory[1:] or self.theory)
            people.record_political_theory(
                actor=self.actor,
                person=person,
                level=theory,
                valid_from=date(birth_year + 35, 9, 1),
            )

    def add_committees(self) -> None:
        """Committee terms 2020–2025 and 2025–2030 with a secretary and a deputy, for every
        live upper organization that has people below it."""
        for organization in Organization.objects.filter(
            kind__code="upper", dissolved_on__isnull=True
        ):
            below = Person.objects.filter(home_organization__path__startswith=organization.path)
            # official members first (a committee is elected among them), else anyone below
            candidates = list(below.filter(member__standing="official").order_by("pk")[:2]) or list(
                below.order_by("pk")[:2]
            )
            if len(candidates) < 2:
                continue
            start = max(organization.established_on, date(2025, 7, 1))
            term = org.open_committee_term(
                actor=self.actor, organization=organization, name="2025–2030", starts_on=start
            )
            for person, role in zip(
                candidates, (SeatRole.SECRETARY, SeatRole.DEPUTY_SECRETARY), strict=True
            ):
                org.assign_seat(
                    actor=self.actor, term=term, person=person, role=role, starts_on=start
                )
