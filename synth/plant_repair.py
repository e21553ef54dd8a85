"""A labelled evaluation set for identity repair (outputs.md, "Identity repair suggestions").

Low-income members whose number or name is wrong in each way the contract names, against a
register with realistic look-alikes: names drawn at the common surnames' and given names'
frequencies, twins (same birth date, one character apart), siblings one character apart,
and the same name and birth date in another town. Also records with no right answer (the
person is not in the register, sometimes while a look-alike is) and controls that must match
exactly. The truth says, per record, who it really is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from pypinyin import Style, lazy_pinyin

from synth import idcard, names
from synth.plant import MUST, MUST_NOT, Planter

KINDS = [
    "digit_typo",  # one digit typed wrong
    "digit_swap",  # two adjacent digits exchanged
    "id15_typo",  # the old 15-digit number, with a typo
    "day_month_swapped",  # the birth date typed as year, day, month
    "homophone",  # a character of the name replaced by one that sounds the same
    "variant",  # a character in its traditional or variant form
    "pinyin",  # the name typed in pinyin
    "homophone_and_digit",  # both the name and the number wrong
    "number_missing",  # no number at all: the name, the place and the household only
    "no_answer",  # the person is not in the register at all
    "no_answer_lookalike",  # ... while someone of the same name and birth date is
    "control",  # correct, with a twin in the register: must raise nothing
]
NO_ANSWER = {"no_answer", "no_answer_lookalike"}

# Characters of synth.names.GIVEN with others read the same (tones ignored).
HOMOPHONES = {
    "伟": "玮炜",
    "芳": "方",
    "娜": "纳",
    "英": "莹瑛",
    "敏": "民闵",
    "静": "晶婧",
    "丽": "莉立",
    "强": "墙",
    "磊": "蕾",
    "军": "君均",
    "洋": "阳",
    "勇": "永咏",
    "艳": "燕雁",
    "杰": "洁捷",
    "娟": "鹃",
    "涛": "韬滔",
    "明": "鸣铭",
    "超": "潮",
    "兰": "岚蓝",
    "霞": "侠",
    "平": "萍苹",
    "刚": "钢纲",
    "桂": "贵",
    "华": "桦骅",
    "玉": "钰煜",
    "红": "虹鸿",
    "玲": "琳凌",
    "芬": "纷",
    "鹏": "朋",
    "辉": "晖徽",
    "建": "健剑",
    "宇": "雨羽",
    "浩": "昊皓",
    "凯": "楷恺",
    "欣": "新昕",
    "怡": "宜仪",
    "佳": "嘉家",
    "涵": "寒含",
    "轩": "宣萱",
    "晨": "辰臣",
    "博": "波",
    "文": "雯闻",
    "思": "斯丝",
    "远": "媛源",
    "志": "智致",
    "琪": "琦祺",
    "宏": "洪弘",
    "峰": "锋枫",
    "春": "纯",
    "梅": "玫",
    "金": "锦",
    "德": "得",
    "福": "富",
    "荣": "蓉容",
    "庆": "青清",
    "云": "芸韵",
    "飞": "菲非",
    "翔": "祥",
    "雪": "学",
    "婷": "庭亭",
    "倩": "茜",
    "颖": "莹盈",
    "晓": "筱",
    "东": "冬",
    "俊": "骏峻",
    "彬": "斌滨",
    "鑫": "欣新",
    "亮": "靓",
    "成": "诚城",
    "林": "琳霖",
    "宁": "凝",
    "瑞": "睿锐",
    "海": "凯",
    "国": "果",
    "梓": "子",
    "子": "梓紫",
    "雨": "宇语",
    "阳": "洋扬",
    "嘉": "佳家",
    "秀": "绣",
    "凤": "奉",
    "娥": "蛾",
    "燕": "艳雁",
}
# Traditional or variant forms (as an old register or a hand-typed form has them).
VARIANTS = {
    "伟": "偉",
    "丽": "麗",
    "军": "軍",
    "艳": "艷",
    "杰": "傑",
    "涛": "濤",
    "兰": "蘭",
    "华": "華",
    "红": "紅",
    "鹏": "鵬",
    "辉": "輝",
    "国": "國",
    "凯": "凱",
    "轩": "軒",
    "远": "遠",
    "峰": "峯",
    "凤": "鳳",
    "庆": "慶",
    "云": "雲",
    "飞": "飛",
    "颖": "穎",
    "晓": "曉",
    "东": "東",
    "宁": "寧",
    "张": "張",
    "刘": "劉",
    "陈": "陳",
    "杨": "楊",
    "黄": "黃",
    "赵": "趙",
    "吴": "吳",
    "孙": "孫",
    "马": "馬",
    "郑": "鄭",
    "罗": "羅",
    "梁": "樑",
    "谢": "謝",
    "韩": "韓",
    "冯": "馮",
    "邓": "鄧",
    "龙": "龍",
    "贺": "賀",
    "顾": "顧",
    "钱": "錢",
    "叶": "葉",
    "许": "許",
}
SURNAME_PINYIN = {"曾": "Zeng", "覃": "Qin", "单": "Shan", "解": "Xie", "仇": "Qiu"}
VILLAGES = [
    "新庄村",
    "王集村",
    "陈圩村",
    "刘庄社区",
    "张湾村",
    "李口村",
    "东关社区",
    "西湖村",
    "大兴村",
    "朱集村",
    "黄河社区",
    "洋河村",
]
ELSEWHERE = ["410105", "340102", "370102", "320102", "130102"]  # regions outside the city
ENROLLED = dt.date(2019, 9, 1)  # before every period: the records are in every month


@dataclass(frozen=True)
class Label:
    kind: str
    household_id: str  # 家庭编号 in the low-income database
    lead_id_number: str  # the number the IDENTITY_MISMATCH lead shows
    delivered_name: str
    true_id_number: str | None  # None: nobody in the register is this record
    true_name: str | None


def valid_date(digits: str) -> bool:
    try:
        dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return True


def lead_number(delivered: str) -> str:
    """What the lead shows: the normalised number if the delivered one is valid, else it as
    delivered (outputs.md; the planted numbers carry no white space to clean)."""
    if len(delivered) == 15:
        body = delivered[:6] + "19" + delivered[6:]
        return body + idcard.check_char(body)
    return delivered


def reason(delivered: str) -> str | None:
    """The quarantine reason the contract gives the delivered number, None when valid."""
    if not delivered:
        return "ID_MISSING"
    if len(delivered) == 15:
        return None if valid_date("19" + delivered[6:12]) else "ID_BAD_BIRTH_DATE"
    if not valid_date(delivered[6:14]):
        return "ID_BAD_BIRTH_DATE"
    return None if idcard.check_char(delivered[:17]) == delivered[17] else "ID_BAD_CHECK_DIGIT"


def typo(id18: str, rng: np.random.Generator) -> str:
    """One digit of the body typed wrong, keeping the province and a real birth date."""
    while True:
        pos = int(rng.integers(2, 17))
        digit = str((int(id18[pos]) + int(rng.integers(1, 10))) % 10)
        wrong = id18[:pos] + digit + id18[pos + 1 :]
        if valid_date(wrong[6:14]):
            return wrong


def swap(id18: str, rng: np.random.Generator) -> str:
    while True:
        pos = int(rng.integers(2, 16))
        if id18[pos] == id18[pos + 1]:
            continue
        wrong = id18[:pos] + id18[pos + 1] + id18[pos] + id18[pos + 2 :]
        if valid_date(wrong[6:14]):
            return wrong


def id15_typo(id18: str, rng: np.random.Generator) -> str:
    old = id18[:6] + id18[8:17]  # region, yymmdd, sequence
    pos = int(rng.integers(12, 15))  # in the sequence: the date stays readable
    return old[:pos] + str((int(old[pos]) + int(rng.integers(1, 10))) % 10) + old[pos + 1 :]


def pinyin_typed(name: str, rng: np.random.Generator) -> str:
    surname = SURNAME_PINYIN.get(name[0]) or lazy_pinyin(name[0], style=Style.NORMAL)[0].title()
    given = "".join(lazy_pinyin(name[1:], style=Style.NORMAL))
    form = int(rng.integers(0, 3))
    if form == 0:
        return f"{surname} {given.title()}"
    if form == 1:
        return f"{surname} {given}".upper()
    return (surname + given).lower()


def _replace_one(name: str, table: dict[str, str], rng, *, given_only: bool) -> str | None:
    spots = [i for i, c in enumerate(name) if c in table and (i > 0 or not given_only)]
    if not spots:
        return None
    i = spots[int(rng.integers(0, len(spots)))]
    options = table[name[i]]
    return name[:i] + options[int(rng.integers(0, len(options)))] + name[i + 1 :]


def _name(rng, surname: str | None = None, *, homophone_ready: bool = False) -> str:
    while True:
        s = surname or str(names.draw_surnames(rng, 1)[0])
        given = str(names.draw_given(rng, 1)[0])
        if not homophone_ready or any(c in HOMOPHONES for c in given):
            return s + given


def _one_apart(name: str, rng) -> str:
    """A sibling's name: the same but one given-name character."""
    i = int(rng.integers(1, len(name)))
    while True:
        c = str(rng.choice(np.array(names.GIVEN)))
        if c != name[i]:
            return name[:i] + c + name[i + 1 :]


def _birth(rng, low: int = 1940, high: int = 2004) -> dt.date:
    return dt.date(int(rng.integers(low, high + 1)), 1, 1) + dt.timedelta(
        days=int(rng.integers(0, 365))
    )


class RepairPlanter:
    def __init__(self, planter: Planter, seed: int):
        self.p = planter
        self.rng = np.random.default_rng([seed, 27])
        self.labels: list[Label] = []
        self._numbers: set[str] = set()  # every planted person's number, to avoid hitting one
        self._seen = 0

    def _taken(self, number: str) -> bool:
        persons = self.p.out.persons
        self._numbers.update(person["id18"] for person in persons[self._seen :])
        self._seen = len(persons)
        return lead_number(number) in self._numbers

    def _household(self) -> int:
        hh = self.p.household()
        self.p.out.households[-1]["village"] = str(self.rng.choice(np.array(VILLAGES)))
        return hh

    def _lookalike_elsewhere(self, name: str, sex: str, birth: dt.date) -> None:
        """The same name and birth date in another town, of the same county half the time.
        Registered by another police station: a sequence number of its own (500-899, where
        neither the background nor the other planted people are)."""
        here = self.p.town
        same_county = self.rng.random() < 0.5
        for _ in range(len(self.p.towns)):  # (bounded: the towns the cycle reaches)
            self.p.next_town()
            if self.p.town != here and (self.p.town[:6] == here[:6]) == same_county:
                break
        self.p.person(
            self._household(),
            "户主",
            sex,
            birth,
            exact_birth=True,
            name=name,
            sequence=int(self.rng.integers(500, 900)),
        )
        self.p.town = here

    def plant(self, kind: str) -> None:
        rng, p = self.rng, self.p
        p.next_town()
        hh = self._household()
        sex = "男" if rng.random() < 0.5 else "女"
        name = _name(rng, homophone_ready=kind in ("homophone", "homophone_and_digit"))
        if kind == "variant":
            while _replace_one(name, VARIANTS, rng, given_only=False) is None:
                name = _name(rng)
        birth = _birth(rng, high=1998 if kind == "id15_typo" else 2004)  # 15 digits: 19xx only
        if kind == "day_month_swapped":  # a swap that still reads as a date
            birth = birth.replace(day=int(rng.integers(1, 13)))
            while birth.day == birth.month:
                birth = birth.replace(day=int(rng.integers(1, 13)))
        # nobody in the register is a record without an answer: registered in another province
        region = str(rng.choice(np.array(ELSEWHERE))) if kind in NO_ANSWER else None
        pid, id18 = p.person(hh, "户主", sex, birth, exact_birth=True, name=name, region=region)
        case = p.case_id()
        family = [pid]
        if rng.random() < 0.6:  # spouse and children on the same household's assistance
            spouse_sex = "女" if sex == "男" else "男"
            spouse, _ = p.person(
                hh,
                "配偶",
                spouse_sex,
                _birth(rng, birth.year - 3, birth.year + 3),
                exact_birth=True,
                name=_name(rng),
            )
            family.append(spouse)
            for _ in range(int(rng.integers(0, 3))):
                child_birth = _birth(rng, min(birth.year + 22, 2016), min(birth.year + 35, 2018))
                son = rng.random() < 0.5
                child, _ = p.person(
                    hh,
                    "子" if son else "女",
                    "男" if son else "女",
                    child_birth,
                    exact_birth=True,
                    name=_name(rng, name[0]),
                )
                family.append(child)
        relations = ["本人", "配偶", "子女", "子女"]
        for member, relation in zip(family, relations, strict=False):
            p.enrol(member, case, "低保", relation, enrol=ENROLLED, size=len(family))
        # look-alikes in the register
        roll = rng.random()
        if kind in NO_ANSWER:
            pass
        elif kind == "control" or roll < 0.15:  # a twin, one character apart
            p.person(
                hh,
                "兄弟" if sex == "男" else "姐妹",
                sex,
                birth,
                exact_birth=True,
                name=_one_apart(name, rng),
            )
        elif roll < 0.35:  # a sibling one character apart
            p.person(
                hh,
                "兄弟",
                sex,
                _birth(rng, birth.year - 6, birth.year + 6),
                exact_birth=True,
                name=_one_apart(name, rng),
            )
        if kind == "no_answer_lookalike" or rng.random() < 0.2:
            self._lookalike_elsewhere(name, sex, birth)
        self._corrupt(kind, case, pid, id18, name)

    def _corrupt(self, kind: str, case: str, pid: int, id18: str, name: str) -> None:
        rng, out = self.rng, self.p.out
        delivered_id, delivered_name = id18, name
        wrong_number = {
            "digit_typo": typo,
            "homophone_and_digit": typo,
            "digit_swap": swap,
            "id15_typo": id15_typo,
        }.get(kind)
        if wrong_number:  # a typo that makes another planted person's number would mislabel
            delivered_id = wrong_number(id18, rng)
            while self._taken(delivered_id):
                delivered_id = wrong_number(id18, rng)
        elif kind == "day_month_swapped":
            delivered_id = id18[:10] + id18[12:14] + id18[10:12] + id18[14:]
        elif kind == "number_missing":
            delivered_id = ""
        if kind in ("homophone", "homophone_and_digit"):
            delivered_name = _replace_one(name, HOMOPHONES, rng, given_only=True)
        elif kind == "variant":
            delivered_name = _replace_one(name, VARIANTS, rng, given_only=False)
        elif kind == "pinyin":
            delivered_name = pinyin_typed(name, rng)
        if kind in NO_ANSWER:
            out.hukou_absent.add(pid)
        if delivered_id != id18:
            out.lowincome_id_override[pid] = delivered_id
            if reason(delivered_id):
                out.lowincome_id_reason[delivered_id] = reason(delivered_id)
        if delivered_name != name:
            out.lowincome_name_override[pid] = delivered_name
        shown = lead_number(delivered_id)
        answer = kind not in NO_ANSWER
        self.labels.append(
            Label(
                kind,
                case,
                shown,
                delivered_name,
                id18 if answer else None,
                name if answer else None,
            )
        )
        verdict = MUST_NOT if kind == "control" else MUST
        self.p.case("IDENTITY_MISMATCH", f"repair_{kind}", "2019-09", shown, lambda _q: verdict)


def plant_repairs(planter: Planter, cases: int, seed: int) -> list[Label]:
    """`cases` records, the kinds in turn."""
    repairs = RepairPlanter(planter, seed)
    for i in range(cases):
        repairs.plant(KINDS[i % len(KINDS)])
    return repairs.labels
