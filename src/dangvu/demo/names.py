"""Fictional but realistic Vietnamese names, drawn from a seeded random generator."""

import itertools
import random

# Family names with rough national weights (per cent); the long tail is grouped in the last ones.
SURNAMES = {
    "Nguyễn": 38,
    "Trần": 11,
    "Lê": 9.5,
    "Phạm": 7,
    "Hoàng": 4,
    "Huỳnh": 2,
    "Phan": 4.5,
    "Vũ": 2.5,
    "Võ": 2,
    "Đặng": 2,
    "Bùi": 2,
    "Đỗ": 1.4,
    "Hồ": 1.3,
    "Ngô": 1.3,
    "Dương": 1,
    "Lý": 0.5,
    "Đinh": 0.8,
    "Trịnh": 0.6,
    "Đoàn": 0.6,
    "Lương": 0.5,
    "Mai": 0.4,
    "Tô": 0.3,
}
MIDDLE = {
    "male": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh", "Xuân", "Đình", "Ngọc"],
    "female": ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Hồng", "Thùy"],
}
GIVEN = {
    "male": [
        "Hùng",
        "Dũng",
        "Tuấn",
        "Hải",
        "Nam",
        "Sơn",
        "Long",
        "Thắng",
        "Quân",
        "Bình",
        "Hòa",
        "Cường",
        "Trung",
        "Phong",
        "Khánh",
        "Hiếu",
        "Đạt",
        "Huy",
        "Tùng",
        "Vinh",
        "Lộc",
        "Thành",
        "Hưng",
        "Tài",
        "Kiên",
        "Lâm",
        "Tiến",
        "Đông",
        "Phúc",
        "Nghĩa",
    ],
    "female": [
        "Hương",
        "Lan",
        "Hoa",
        "Mai",
        "Hằng",
        "Thủy",
        "Ngọc",
        "Linh",
        "Trang",
        "Hà",
        "Nga",
        "Thảo",
        "Phương",
        "Yến",
        "Dung",
        "Huyền",
        "Loan",
        "Oanh",
        "Nhung",
        "Vân",
        "Hạnh",
        "Liên",
        "Xuân",
        "Quyên",
        "Giang",
        "Tâm",
        "Hòa",
        "Châu",
        "Duyên",
        "Nhàn",
    ],
}
# Family names common among some minority groups, by 1979 code: Tày, Thái, Mường, Nùng,
# H'Mông, Dao in the north; Gia-rai, Ê-đê, Ba-na in the Central Highlands.
MINORITY_SURNAMES = {
    "02": ["Hoàng", "Nông", "Lương", "Bế", "Ma", "Hà"],
    "03": ["Lò", "Lường", "Quàng", "Cầm", "Vi", "Hà"],
    "06": ["Bùi", "Đinh", "Quách", "Hà", "Xa"],
    "07": ["Hoàng", "Nông", "Lăng", "Chu", "Mông"],
    "08": ["Giàng", "Sùng", "Vàng", "Thào", "Lầu", "Mùa"],
    "09": ["Bàn", "Triệu", "Lý", "Đặng", "Chảo"],
    "10": ["Ksor", "Rơ Châm", "Siu", "Rmah", "Kpă"],
    "12": ["Niê", "Mlô", "Êban", "Ayun", "Byă"],
    "13": ["Đinh", "Y", "A"],
}
NORTHERN_MINORITIES = ["02", "03", "06", "07", "08", "09"]
HIGHLAND_MINORITIES = ["10", "12", "13"]

PLACE_WORDS = [
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "An",
    "Bình",
    "Hòa",
    "Phú",
    "Tân",
    "Thịnh",
    "Hưng",
    "Long",
    "Thái",
    "Vĩnh",
    "Yên",
    "Quang",
    "Thanh",
    "Minh",
    "Phúc",
    "Lộc",
    "Hải",
    "Sơn",
    "Trung",
    "Hợp",
    "Tiến",
    "Đức",
    "Nghĩa",
    "Thành",
    "Lạc",
    "Xuân",
    "Hồng",
    "Kim",
    "Ngọc",
    "Cẩm",
]


# Drawn with cumulative weights computed once: the same draws as ``weights=``, without
# recomputing them for each of millions of names.
SURNAME_LIST = list(SURNAMES)
SURNAME_CUMULATIVE = list(itertools.accumulate(SURNAMES.values()))


def full_name(rng: random.Random, gender: str, ethnicity_code: str = "01") -> str:
    """A full name as printed on an ID card (NFC)."""
    surnames = MINORITY_SURNAMES.get(ethnicity_code)
    surname = (
        rng.choice(surnames)
        if surnames
        else rng.choices(SURNAME_LIST, cum_weights=SURNAME_CUMULATIVE)[0]
    )
    return f"{surname} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"


def place_name(rng: random.Random) -> str:
    """A two-word place name such as "Tân Phú"."""
    first, second = rng.sample(PLACE_WORDS, 2)
    return f"{first} {second}"
