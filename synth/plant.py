"""Planted truth: for every rule, people who must raise its lead and decoys who must not.

Each month of the timeline gets a cohort of cases anchored in that month (the
decisive event happens then), so consecutive periods see new cases appear and
old ones persist or lapse. A case knows, for any period, whether its lead must
be raised, must not be, or says nothing; `expect` is the generator's own
arithmetic over the handful of dates and amounts it planted.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from doudi_core.period import shift
from synth import idcard
from synth.city import EPOCH

MUST, MUST_NOT = "must", "must_not"


def month_end(period: str) -> dt.date:
    y, m = int(period[:4]), int(period[5:7])
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def day_of(period: str, day: int) -> dt.date:
    return dt.date(int(period[:4]), int(period[5:7]), day)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's last day (Aug 31 + 6 months = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    y, m = divmod(index, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def periods(first: str, last: str) -> list[str]:
    out, current = [], first
    while current <= last:
        out.append(current)
        current = shift(current, 1)
    return out


def in_window(day: dt.date, period: str, days: int = 365) -> bool:
    end = month_end(period)
    return end - dt.timedelta(days=days) < day <= end


@dataclass
class Case:
    rule: str
    template: str
    anchor: str
    id_number: str
    expect: Callable[[str], str | None]


@dataclass
class Planted:
    persons: list[dict] = field(default_factory=list)
    households: list[dict] = field(default_factory=list)
    certificates: list[dict] = field(default_factory=list)
    assistance: list[dict] = field(default_factory=list)
    settlements: list[dict] = field(default_factory=list)
    eldercare: list[dict] = field(default_factory=list)  # synth.elder.SERVICE_COLUMNS
    funerals: list[dict] = field(default_factory=list)  # synth.funeral.RECORD_COLUMNS
    lowincome_id_override: dict[int, str] = field(
        default_factory=dict
    )  # pid -> number as delivered
    lowincome_name_override: dict[int, str] = field(default_factory=dict)
    # number as delivered -> the quarantine reason it must get (absent: a valid number)
    lowincome_id_reason: dict[str, str] = field(default_factory=dict)
    repair_labels: list = field(default_factory=list)  # synth.plant_repair.Label
    hukou_absent: set[int] = field(default_factory=set)
    cases: list[Case] = field(default_factory=list)


class Planter:
    """Builds planted households and people; pids and sequence numbers never meet the background's."""

    def __init__(self, towns: list[tuple[str, str, str]], config_dibao: dict[str, float]):
        self.out = Planted()
        self.towns = towns
        self.dibao = config_dibao
        self._pid = 1_000_000_000
        self._hh = 1_000_000_000
        self._case = 0
        self._seq: dict[tuple[str, str], int] = {}
        self._settlement = 0
        self.town = towns[0][0]

    # --- building blocks -------------------------------------------------------
    def next_town(self) -> str:
        self._case += 1
        self.town = self.towns[(self._case * 7) % len(self.towns)][0]
        return self.town

    def household(self) -> int:
        self._hh += 1
        self.out.households.append(
            {
                "hh": self._hh,
                "town_code": self.town,
                "household_no": f"P{self._hh}",
                "village": "新庄村",
                "house_no": self._hh % 300 + 1,
            }
        )
        return self._hh

    def person(
        self,
        hh: int,
        relation: str,
        sex: str,
        birth: dt.date,
        *,
        region: str | None = None,
        event: str | None = None,
        event_date: dt.date | None = None,
        father: str | None = None,
        mother: str | None = None,
        name: str | None = None,
        exact_birth: bool = False,
        sequence: int | None = None,
    ) -> tuple[int, str]:
        region = region or self.town[:6]
        if not exact_birth:  # spread birthdays; only ever older
            birth -= dt.timedelta(days=(self._pid * 37) % 211)
        birth8 = birth.strftime("%Y%m%d")
        start = 901 if sex == "男" else 902
        if sequence is None:  # the next free one (twins registered together are adjacent)
            used = self._seq.get((region, birth8), -1)
            seq = max(start, used + 1)
            if seq % 2 != start % 2:
                seq += 1
            self._seq[(region, birth8)] = seq
        else:  # a given one (its parity is the sex's)
            seq = sequence + (sequence % 2 != start % 2)
        id18 = region + birth8 + f"{seq:03d}"
        id18 += idcard.check_char(id18)
        self._pid += 1
        given = (
            "测"
            + "甲乙丙丁戊己庚辛壬癸"[self._pid % 10]
            + "子丑寅卯辰巳午未申酉戌亥"[(self._pid // 10) % 12]
        )
        self.out.persons.append(
            {
                "pid": self._pid,
                "id18": id18,
                "name": name or ("柏" + given[1:]),
                "sex": sex,
                "birth": birth,
                "hh": hh,
                "relation": relation,
                "event": event,
                "event_date": event_date,
                "father_id18": father,
                "mother_id18": mother,
            }
        )
        return self._pid, id18

    def enrol(
        self,
        pid: int,
        case_id: str,
        category: str,
        relation: str,
        *,
        enrol: dt.date,
        stop: dt.date | None = None,
        size: int = 1,
        income_fen: int = 40_000,
        work: str = "无",
        self_care: str = "全自理",
        review_months: int = 12,
        last_review: dt.date | None = None,
    ) -> None:
        self.out.assistance.append(
            {
                "pid": pid,
                "case_id": case_id,
                "category": category,
                "applicant_relation": relation,
                "enrol_date": enrol,
                "stop_date": stop,
                "benefit_fen": 60_000 if category == "低保" else 0,
                "household_size": size,
                "income_fen": income_fen,
                "work_ability": work,
                "self_care": self_care,
                "review_months": review_months,
                "review_delay_days": 0,
                "fixed_last_review": last_review,
            }
        )

    def certificate(
        self,
        pid: int,
        category: str,
        grade: str,
        issued: dt.date,
        state: str = "有效",
        living: str = "是",
        care: str = "是",
    ) -> None:
        self.out.certificates.append(
            {
                "pid": pid,
                "category": category,
                "grade": grade,
                "issue_date": issued,
                "state": state,
                "living": living,
                "care": care,
            }
        )

    def settle(
        self,
        pid: int,
        day: dt.date,
        oop_fen: int,
        *,
        care_type: str = "住院",
        delivered: str | None = None,
        reverses: str | None = None,
    ) -> str:
        self._settlement += 1
        sid = f"P{day:%Y%m}{self._settlement:08d}"
        fund = abs(oop_fen) * 2 * (1 if oop_fen >= 0 else -1)
        self.out.settlements.append(
            {
                "settlement_id": sid,
                "reverses_id": reverses,
                "pid": pid,
                "care_type": care_type,
                "settlement_date": day,
                "total_fen": oop_fen + fund,
                "fund_fen": fund,
                "critical_fen": 0,
                "assistance_fen": 0,
                "oop_fen": oop_fen,
                "delivered": delivered or f"{day:%Y-%m}",
            }
        )
        return sid

    def service(
        self,
        pid: int,
        service: str,
        *,
        status: str | None = None,
        start: dt.date | None = None,
        stop: dt.date | None = None,
        monthly_fen: int | None = None,
        last: dt.date | str | None = None,
        grade: str | None = None,
        since: str | None = None,
    ) -> None:
        """An elder-services row (synth.elder.planted renders it for each period from
        `since` on: a visit dated relative to the period needs one)."""
        self.out.eldercare.append(
            {
                "pid": pid,
                "service": service,
                "status": status,
                "start_date": start,
                "stop_date": stop,
                "monthly_fen": monthly_fen,
                "last_date": last,
                "grade": grade,
                "since": since,
            }
        )

    def funeral(
        self,
        pid: int,
        died: dt.date,
        delivered: str,
        *,
        waived: bool = True,
        case_no: str | None = None,
    ) -> str:
        """A funeral home's record of `pid`'s death, delivered in `delivered`'s folder."""
        case_no = case_no or f"PB{pid}"
        self.out.funerals.append(
            {
                "pid": pid,
                "case_no": case_no,
                "death_date": died,
                "cremation_date": died + dt.timedelta(days=2),
                "funeral_home": "宿迁市殡仪馆",
                "certificate_no": None,
                "waived": "是" if waived else "否",
                "waived_fen": 120_000 if waived else 0,
                "delivered": delivered,
            }
        )
        return case_no

    def case(
        self,
        rule: str,
        template: str,
        anchor: str,
        id_number: str,
        expect: Callable[[str], str | None],
    ) -> None:
        self.out.cases.append(Case(rule, template, anchor, id_number, expect))

    def case_id(self) -> str:
        return f"PZ{self._hh:010d}"


def from_anchor(anchor: str, verdict: str) -> Callable[[str], str | None]:
    return lambda p: verdict if p >= anchor else None


def oop_window(bills: list[tuple[dt.date, int]], period: str) -> int:
    return sum(fen for day, fen in bills if in_window(day, period))


# --- templates -------------------------------------------------------------------


def _adult(pl_: Planter, sex: str = "男", age: int = 45, **kw) -> tuple[int, str, int]:
    hh = pl_.household()
    pid, id18 = pl_.person(hh, "户主", sex, dt.date(EPOCH.year - age, 3, 14), **kw)
    return pid, id18, hh


FORMULA_NAMES = [
    "=1+2柏",
    "+柏某",
    "-柏某",
    "@柏某",
]  # other departments' text that looks like a formula


def med_uncovered(p: Planter, m: str) -> None:
    pid, id18, _ = _adult(p, name=FORMULA_NAMES[int(m[5:7]) % len(FORMULA_NAMES)])
    bills = [(day_of(m, 5), 1_200_000), (day_of(m, 15), 1_300_050)]
    for day, fen in bills:
        p.settle(pid, day, fen)
    p.case(
        "MED_OOP_UNCOVERED",
        "med_uncovered",
        m,
        id18,
        lambda q: (MUST if oop_window(bills, q) >= 2_000_000 else None) if q >= m else None,
    )

    pid, id18, _ = _adult(p, sex="女")
    p.settle(pid, day_of(m, 5), 1_500_000)
    reversed_id = p.settle(pid, day_of(m, 8), 700_000)
    p.settle(pid, day_of(m, 20), -700_000, reverses=reversed_id)
    p.case("MED_OOP_UNCOVERED", "med_reversal_nets_below", m, id18, from_anchor(m, MUST_NOT))

    pid, id18, _ = _adult(p, age=60)
    p.settle(pid, day_of(m, 6), 999_999)
    p.settle(pid, day_of(m, 16), 1_000_000)
    p.case("MED_OOP_UNCOVERED", "med_just_under", m, id18, from_anchor(m, MUST_NOT))

    pid, id18, _ = _adult(p, age=52)
    p.enrol(pid, p.case_id(), "低保", "本人", enrol=dt.date(2020, 5, 1))
    p.settle(pid, day_of(m, 7), 3_000_000)
    p.case("MED_OOP_UNCOVERED", "med_covered", m, id18, from_anchor(m, MUST_NOT))

    pid, id18, _ = _adult(p, age=38)
    nxt = shift(m, 1)
    p.settle(pid, day_of(m, 9), 1_200_000)
    p.out.settlements.append({**p.out.settlements[-1], "delivered": nxt})  # re-delivered unchanged
    p.case("MED_OOP_UNCOVERED", "med_redelivered_counts_once", m, id18, from_anchor(m, MUST_NOT))


def med_below_line(p: Planter, m: str) -> None:
    standard = round(p.dibao[p.town[:6]] * 100)
    for template, oop, verdict in (
        ("below_line", 1_200_000, MUST),
        ("below_line_small_bill", 240_000, MUST_NOT),
    ):
        hh = p.household()
        pid, id18 = p.person(hh, "户主", "男", dt.date(1970, 6, 1))
        pid2, _ = p.person(hh, "配偶", "女", dt.date(1972, 6, 1))
        case_id = p.case_id()
        income = standard + 20_000
        for member, rel in ((pid, "本人"), (pid2, "配偶")):
            p.enrol(
                member,
                case_id,
                "低保边缘",
                rel,
                enrol=dt.date(2023, 3, 1),
                size=2,
                income_fen=income,
                work="部分" if rel == "本人" else "无",
            )
        bills = [(day_of(m, 10), oop)]
        p.settle(pid, bills[0][0], oop)

        def expect(q, bills=bills, income=income, standard=standard, verdict=verdict):
            if q < m:
                return None
            below = income - oop_window(bills, q) / 12 / 2 < standard
            if verdict == MUST:
                return MUST if below else None
            return MUST_NOT

        p.case("MED_OOP_BELOW_LINE", template, m, id18, expect)


def dis_severe(p: Planter, m: str) -> None:
    issued = day_of(m, 10)
    for template, grade, state, verdict in (
        ("severe_uncovered", "一级", "有效", MUST),
        ("severe_cancelled", "一级", "注销", MUST_NOT),
        ("severe_grade3", "三级", "有效", MUST_NOT),
    ):
        pid, id18, _ = _adult(p, age=50)
        p.certificate(pid, "肢体", grade, issued, state=state, care="是")
        p.case("DIS_SEVERE_UNCOVERED", template, m, id18, from_anchor(m, verdict))
    pid, id18, _ = _adult(p, age=48)
    p.enrol(pid, p.case_id(), "低保", "本人", enrol=dt.date(2021, 1, 5), stop=dt.date(2024, 6, 30))
    p.certificate(pid, "视力", "二级", issued, care="是")
    p.case("DIS_SEVERE_UNCOVERED", "severe_stopped_member", m, id18, from_anchor(m, MUST))


def dis_living(p: Planter, m: str) -> None:
    issued = day_of(m, 10)
    for template, category, grade, state, living, verdict in (
        ("living_missing", "低保", "四级", "有效", "否", MUST),
        ("living_missing_edge", "低保边缘", "三级", "有效", "否", MUST),
        ("living_tekun", "特困", "四级", "有效", "否", MUST_NOT),
        ("living_has_it", "低保", "四级", "有效", "是", MUST_NOT),
        ("living_cert_expired", "低保", "四级", "过期", "否", MUST_NOT),
    ):
        pid, id18, _ = _adult(p, age=55)
        p.enrol(pid, p.case_id(), category, "本人", enrol=dt.date(2022, 2, 1))
        p.certificate(
            pid,
            "视力" if grade == "三级" else "肢体",
            grade,
            issued,
            state=state,
            living=living,
            care="否",
        )
        p.case("DIS_LIVING_SUBSIDY_MISSING", template, m, id18, from_anchor(m, verdict))


def dis_care(p: Planter, m: str) -> None:
    issued = day_of(m, 10)
    for template, category, grade, care, verdict in (
        ("care_grade2", "肢体", "二级", "否", MUST),
        ("care_grade3_mental", "精神", "三级", "否", MUST),
        ("care_grade3_limb", "肢体", "三级", "否", MUST_NOT),
        ("care_has_it", "肢体", "一级", "是", MUST_NOT),
    ):
        pid, id18, _ = _adult(p, age=40)
        p.enrol(pid, p.case_id(), "低保", "本人", enrol=dt.date(2022, 2, 1))
        p.certificate(pid, category, grade, issued, living="是", care=care)
        p.case("DIS_CARE_SUBSIDY_MISSING", template, m, id18, from_anchor(m, verdict))


def on_roll(p: Planter, m: str) -> None:
    event_day = day_of(m, 12)
    for rule, event, stopped, template in (
        ("DECEASED_ON_ROLL", "死亡", False, "deceased"),
        ("DECEASED_ON_ROLL", "死亡", True, "deceased_stopped"),
        ("MOVED_OUT_ON_ROLL", "迁出", False, "moved_out"),
        ("MOVED_OUT_ON_ROLL", "迁出", True, "moved_out_stopped"),
    ):
        hh = p.household()
        head, _ = p.person(hh, "户主", "男", dt.date(1950, 2, 2))
        spouse, id18 = p.person(
            hh, "配偶", "女", dt.date(1952, 4, 4), event=event, event_date=event_day
        )
        case_id = p.case_id()
        stop = event_day + dt.timedelta(days=5) if stopped else None
        p.enrol(head, case_id, "低保", "本人", enrol=dt.date(2019, 9, 1), size=2)
        p.enrol(spouse, case_id, "低保", "配偶", enrol=dt.date(2019, 9, 1), size=2, stop=stop)
        p.case(rule, template, m, id18, from_anchor(m, MUST_NOT if stopped else MUST))


def identity(p: Planter, m: str) -> None:
    enrolled = day_of(m, 3)
    # an invalid number: the database mistyped the check character
    pid, id18, _ = _adult(p, age=44)
    wrong = id18[:17] + ("0" if id18[17] != "0" else "1")
    p.out.lowincome_id_override[pid] = wrong
    p.out.lowincome_id_reason[wrong] = "ID_BAD_CHECK_DIGIT"
    p.enrol(pid, p.case_id(), "低保", "本人", enrol=enrolled)
    p.case("IDENTITY_MISMATCH", "id_invalid", m, wrong, from_anchor(m, MUST))
    # a valid number the hukou does not have
    pid, id18, _ = _adult(p, age=33, region="410105")
    p.out.hukou_absent.add(pid)
    p.enrol(pid, p.case_id(), "低保", "本人", enrol=enrolled)
    p.case("IDENTITY_MISMATCH", "id_not_in_hukou", m, id18, from_anchor(m, MUST))
    # a name that differs from the hukou's
    pid, id18, _ = _adult(p, age=61)
    p.out.lowincome_name_override[pid] = "柏改名"
    p.enrol(pid, p.case_id(), "低保", "本人", enrol=enrolled)
    p.case("IDENTITY_MISMATCH", "id_name_differs", m, id18, from_anchor(m, MUST))
    # a name that differs only by spacing and full-width forms: equal after normalisation
    pid, id18, _ = _adult(p, age=62)
    p.out.lowincome_name_override[pid] = (
        " " + p.out.persons[-1]["name"][0] + "\u3000" + p.out.persons[-1]["name"][1:]
    )
    p.enrol(pid, p.case_id(), "低保", "本人", enrol=enrolled)
    p.case("IDENTITY_MISMATCH", "id_name_spacing", m, id18, from_anchor(m, MUST_NOT))


def _family(
    p: Planter,
    m: str,
    *,
    father: tuple,
    mother: tuple,
    child_birth: dt.date,
    via_columns: bool = False,
    mother_known: bool = True,
) -> tuple[int, str, int, int]:
    """Father, mother and a child; `father`/`mother` = (event, date) or (None, None)."""
    hh = p.household()
    f_pid, f_id = p.person(
        hh, "户主", "男", dt.date(1985, 1, 20), event=father[0], event_date=father[1]
    )
    m_pid, m_id = p.person(
        hh if not via_columns else p.household(),
        "配偶" if not via_columns else "户主",
        "女",
        dt.date(1987, 7, 7),
        event=mother[0],
        event_date=mother[1],
    )
    if via_columns:
        grand_hh = p.household()
        p.person(grand_hh, "户主", "男", dt.date(1955, 5, 5))
        c_pid, c_id = p.person(
            grand_hh, "孙子", "男", child_birth, father=f_id, mother=m_id if mother_known else None
        )
    else:
        c_pid, c_id = p.person(hh, "子", "男", child_birth)
    return c_pid, c_id, f_pid, m_pid


def child(p: Planter, m: str) -> None:
    day = day_of(m, 10)
    kid = dt.date(EPOCH.year - 8, 9, 1)
    c, cid, _, mom = _family(p, m, father=("服刑在押", day), mother=(None, None), child_birth=kid)
    p.certificate(mom, "精神", "一级", dt.date(2019, 4, 1))
    p.case("CHILD_UNSUPPORTED", "child_custody_and_disabled", m, cid, from_anchor(m, MUST))

    c, cid, _, _ = _family(
        p, m, father=("死亡", day), mother=("失踪", dt.date(2023, 3, 3)), child_birth=kid
    )
    p.case("CHILD_UNSUPPORTED", "child_dead_and_missing", m, cid, from_anchor(m, MUST))

    c, cid, _, _ = _family(
        p, m, father=("死亡", day), mother=("死亡", dt.date(2022, 8, 8)), child_birth=kid
    )
    p.case("CHILD_UNSUPPORTED", "child_orphan", m, cid, from_anchor(m, MUST))

    c, cid, _, mom = _family(
        p, m, father=("服刑在押", day), mother=(None, None), child_birth=kid, via_columns=True
    )
    bills = [(day, 6_000_000)]
    p.settle(mom, day, 6_000_000)
    p.case(
        "CHILD_UNSUPPORTED",
        "child_via_id_columns_ill_mother",
        m,
        cid,
        lambda q, b=bills: (MUST if oop_window(b, q) >= 5_000_000 else None) if q >= m else None,
    )

    c, cid, _, mom = _family(p, m, father=("服刑在押", day), mother=(None, None), child_birth=kid)
    p.settle(mom, day, 4_000_000)
    p.case("CHILD_UNSUPPORTED", "child_mother_ill_not_seriously", m, cid, from_anchor(m, MUST_NOT))

    c, cid, _, _ = _family(
        p,
        m,
        father=("服刑在押", day),
        mother=(None, None),
        child_birth=kid,
        via_columns=True,
        mother_known=False,
    )
    p.case("CHILD_UNSUPPORTED", "child_mother_unknown", m, cid, from_anchor(m, MUST_NOT))

    c, cid, _, _ = _family(
        p, m, father=("服刑在押", day), mother=("服刑在押", day), child_birth=kid
    )
    p.enrol(c, p.case_id(), "事实无人抚养儿童", "本人", enrol=dt.date(2024, 1, 1))
    p.case("CHILD_UNSUPPORTED", "child_already_covered", m, cid, from_anchor(m, MUST_NOT))

    adult_birth = add_months(month_end(m), -18 * 12) - dt.timedelta(days=40)
    c, cid, _, _ = _family(
        p, m, father=("服刑在押", day), mother=("服刑在押", day), child_birth=adult_birth
    )
    p.case("CHILD_UNSUPPORTED", "child_already_adult", m, cid, from_anchor(m, MUST_NOT))


def review(p: Planter, m: str) -> None:
    end = month_end(m)
    cases = (
        ("review_unstable_due", 30, "有", add_months(end + dt.timedelta(days=20), -6), 6),
        ("review_stable_overdue", 70, "无", add_months(end - dt.timedelta(days=10), -12), 12),
        ("review_stable_not_yet", 70, "无", add_months(end + dt.timedelta(days=45), -12), 12),
        ("review_working_age_unable", 40, "无", add_months(end + dt.timedelta(days=10), -6), 12),
        ("review_over_59_able", 62, "有", add_months(end + dt.timedelta(days=10), -6), 12),
    )
    for template, age, work, last, months in cases:
        pid, id18, _ = _adult(p, age=age)
        p.enrol(
            pid,
            p.case_id(),
            "低保",
            "本人",
            enrol=dt.date(2018, 4, 2),
            work=work,
            last_review=last,
            review_months=months,
        )

        def expect(q, last=last, months=months, template=template):
            if q < m:
                return None
            due = add_months(last, months) <= month_end(q) + dt.timedelta(days=30)
            if template in ("review_unstable_due", "review_stable_overdue"):
                return MUST if due else None
            return MUST if due else MUST_NOT

        p.case("REVIEW_DUE", template, m, id18, expect)


TEMPLATES = [
    med_uncovered,
    med_below_line,
    dis_severe,
    dis_living,
    dis_care,
    on_roll,
    identity,
    child,
    review,
]
