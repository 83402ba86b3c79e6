"""The demo organization tree with its real history, and its people.

Until 30/6/2025: the old provinces of the chosen new ones, each with districts, the district's
commune committees (grassroots committees) with their village cells, and a few schools and
enterprises. On 1/7/2025 the reform is replayed through the services: merged provinces become
one new provincial committee, commune committees are merged into the new communes (real names
of the 2025 catalogue), which change kind and move under the province; organizations kept by a
district move under a new commune; districts are dissolved. The same seed and date give the same
data: everything random comes from one seeded generator.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count

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
from dangvu.demo.trees import BulkTree, ServiceTree
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


@dataclass(frozen=True)
class Shape:
    """How many organizations the demo draws below each old (2008) province; each count varies
    by one either way."""

    districts: int = 2  # per old province
    communes: int = 4  # commune committees per district
    cells: int = 4  # village or residential-group cells per commune
    units: int = 2  # schools, agencies, enterprises... per district

    @classmethod
    def for_members(cls, members: int, provinces: int) -> "Shape":
        """A tree in proportion to the members: about 20 per cell. At national scale (6 million
        members in 34 provinces, 63 old ones) that is 11 districts of 15 communes per old
        province and about 300,000 organizations, near the real counts; a small demo keeps two
        districts of three or four communes."""
        if not members:
            return cls()
        per_province = members / (max(1, provinces) * 1.9)  # 63 old provinces in 34 new ones
        scale = math.sqrt(per_province / 2500)
        districts = max(2, min(11, round(scale * 1.8)))
        communes = max(3, min(15, round(scale * 2.5)))
        units = max(1, min(8, round(communes / 2)))
        cells = max(3, min(30, round(per_province / 14 / (districts * (communes + units)))))
        return cls(districts=districts, communes=communes, cells=cells, units=units)


@dataclass
class DemoOptions:
    provinces: int = 2
    seed: int = 1
    as_of: date = field(default_factory=date.today)
    shape: Shape = field(default_factory=Shape)
    people_per_cell: int = 4


@dataclass
class OldProvince:
    """An old (2008) provincial committee and what the demo drew below it."""

    organization: Organization
    districts: list[Organization] = field(default_factory=list)
    communes: list[Organization] = field(default_factory=list)
    units: list[Organization] = field(default_factory=list)


class DemoBuilder:
    """Builds the demo tree and people, acting as ``actor``: the tree in bulk (``BulkTree``),
    or with ``bulk=False`` through the services (``ServiceTree``); people through the
    services."""

    def __init__(self, actor: Any, options: DemoOptions, bulk: bool = True):
        self.actor = actor
        self.options = options
        self.tree = (BulkTree if bulk else ServiceTree)(actor, options.as_of)
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
        self.homes: list[tuple[Organization, str]] = []  # where people are added, in order

    # --- the tree -------------------------------------------------------------------------

    def build(self) -> dict[str, int]:
        central = self.establish("TW", "Trung ương Đảng", "central", None, FOUNDED)
        histories = [(p, self.build_old_provinces(central, p)) for p in self.pick_provinces()]
        if self.options.as_of >= REFORM:
            for new_province, old_provinces in histories:
                self.replay_reform(central, new_province, old_provinces)
        self.tree.flush()
        for home, province_code in self.homes:  # cells and units: the reform keeps them
            self.add_people(home, province_code)
        return self.stats

    def pick_provinces(self) -> list[Province]:
        """Merged 2025 provinces first (they make the reform visible), chosen by the seed; the
        unmerged ones after them when more are asked for (34 is the whole country)."""
        provinces = list(Province.objects.filter(version="2025").annotate(n=Count("predecessors")))
        merged = [p for p in provinces if p.n > 1]
        count = self.options.provinces
        chosen = self.rng.sample(merged, min(count, len(merged)))
        if count > len(merged):
            kept = [p for p in provinces if p.n <= 1]
            chosen += self.rng.sample(kept, min(count - len(merged), len(kept)))
        return sorted(chosen, key=lambda p: p.code)

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
        return self.tree.establish(
            on,
            code=code,
            name=name,
            kind=self.kinds[kind],
            parent=parent,
            category=self.categories.get(category) if category else None,
            **extra,
        )

    def unique_code(self, prefix: str) -> str:
        number = 1
        while f"{prefix}{number:02d}" in self.codes:
            number += 1
        self.codes.add(f"{prefix}{number:02d}")
        return f"{prefix}{number:02d}"

    def around(self, count: int) -> int:
        return self.rng.randint(max(1, count - 1), count + 1)

    def build_old_provinces(
        self, central: Organization, new_province: Province
    ) -> list[OldProvince]:
        """The old provinces of ``new_province`` until the reform: their districts, each with
        commune committees and other grassroots organizations."""
        histories = []
        for old in new_province.predecessors.order_by("code"):
            history = OldProvince(
                self.establish(
                    f"T{old.code}",
                    f"Đảng bộ {unit_name(old.full_name)}",
                    "provincial",
                    central,
                    FOUNDED,
                    province=old,
                )
            )
            for _ in range(self.options.shape.districts):
                self.build_district(history, old.code)
            histories.append(history)
        return histories

    def build_district(self, history: OldProvince, province_code: str) -> None:
        place = names.place_name(self.rng)
        code = self.unique_code(f"H{province_code}-")
        district = self.establish(
            code, f"Đảng bộ huyện {place}", "upper", history.organization, FOUNDED
        )
        history.districts.append(district)
        shape = self.options.shape
        for _ in range(self.around(shape.communes)):
            history.communes.append(self.build_old_commune(district, province_code))
        for _ in range(self.around(shape.units)):
            history.units.append(self.build_unit(district, province_code))

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
        for number in range(1, self.around(self.options.shape.cells) + 1):
            cell = self.establish(
                f"{commune.code}-{number:02d}",
                f"Chi bộ {cell_word} {names.place_name(self.rng)}",
                "cell",
                commune,
                FOUNDED,
                cell_category,
            )
            self.homes.append((cell, province_code))
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
        self.homes.append((unit, province_code))
        return unit

    def replay_reform(
        self, central: Organization, new_province: Province, old_provinces: list[OldProvince]
    ) -> None:
        """1/7/2025: one provincial committee, new communes under it (about one for three old
        ones), the districts' units moved under them, districts and old provinces dissolved."""
        province = self.establish(
            f"P{new_province.code}",
            f"Đảng bộ {unit_name(new_province.full_name)}",
            "provincial",
            central,
            REFORM,
            province=new_province,
        )
        old_communes = [c for history in old_provinces for c in history.communes]
        new_communes = list(Commune.objects.filter(province=new_province).order_by("code"))
        groups = self.group(old_communes, min(len(new_communes), max(1, len(old_communes) // 3)))
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
            self.tree.merge(sources, successor, REFORM)
            successors.append(successor)
        for history in old_provinces:
            for unit in history.units:
                self.tree.move(unit, self.rng.choice(successors), REFORM)
        for history in old_provinces:
            for district in history.districts:
                self.tree.dissolve(district, REFORM)
            self.tree.dissolve(history.organization, REFORM, target=province)

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
            # the subtree's ids first: a short IN list lets PostgreSQL use the dossier index
            places = list(
                Organization.objects.filter(path__startswith=organization.path).values_list(
                    "pk", flat=True
                )
            )
            below = Person.objects.filter(home_organization_id__in=places)
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
