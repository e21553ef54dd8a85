"""The input contract of extracts.md: each source's Chinese columns and code tables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceSchema:
    """One department's extract: Chinese column name -> snake_case field."""

    name: str
    label: str  # who sends it, for messages
    columns: dict[str, str]
    optional_columns: frozenset[str] = frozenset()
    snapshot: bool = True  # full snapshot (latest stands) vs accumulating stream

    @property
    def required_columns(self) -> list[str]:
        return [c for c in self.columns if c not in self.optional_columns]


HUKOU = SourceSchema(
    name="hukou",
    label="公安 户籍人口信息",
    columns={
        "公民身份号码": "id_number",
        "姓名": "name",
        "性别": "sex",
        "出生日期": "birth_date",
        "户号": "household_no",
        "与户主关系": "relation",
        "父亲公民身份号码": "father_id_number",
        "母亲公民身份号码": "mother_id_number",
        "乡镇街道代码": "town_code",
        "户籍地址": "address",
        "人员状态": "status",
        "状态变更日期": "status_date",
    },
    optional_columns=frozenset({"父亲公民身份号码", "母亲公民身份号码"}),
)

MEDICAL = SourceSchema(
    name="medical",
    label="医保 结算记录",
    columns={
        "结算流水号": "settlement_id",
        "原结算流水号": "reverses_id",
        "公民身份号码": "id_number",
        "姓名": "name",
        "险种": "insurance_type",
        "医疗类别": "care_type",
        "定点机构名称": "hospital",
        "结算日期": "settlement_date",
        "医疗总费用": "total_cost",
        "统筹基金支付": "fund_paid",
        "大病保险支付": "critical_illness_paid",
        "医疗救助支付": "assistance_paid",
        "个人自付": "out_of_pocket",
        "参保地区划代码": "insured_county_code",
    },
    snapshot=False,
)

DISABILITY = SourceSchema(
    name="disability",
    label="残联 残疾人证信息",
    columns={
        "残疾人证号": "certificate_no",
        "公民身份号码": "id_number",
        "姓名": "name",
        "残疾类别": "category",
        "残疾等级": "grade",
        "发证日期": "issue_date",
        "证件状态": "certificate_state",
        "享受困难残疾人生活补贴": "living_subsidy",
        "享受重度残疾人护理补贴": "care_subsidy",
        "乡镇街道代码": "town_code",
    },
)

LOWINCOME = SourceSchema(
    name="lowincome",
    label="民政 低收入人口数据库",
    columns={
        "家庭编号": "household_id",
        "公民身份号码": "id_number",
        "姓名": "name",
        "与申请人关系": "relation",
        "救助类别": "category",
        "保障状态": "status",
        "纳入日期": "enrol_date",
        "停保日期": "stop_date",
        "月保障金额": "monthly_benefit",
        "家庭人口数": "household_size",
        "家庭月人均收入": "income_per_head",
        "劳动能力": "work_ability",
        "自理能力": "self_care",
        "上次核查日期": "last_review_date",
        "乡镇街道代码": "town_code",
        "村社区": "village",
    },
)

SOURCES: dict[str, SourceSchema] = {s.name: s for s in (HUKOU, MEDICAL, DISABILITY, LOWINCOME)}


def _with_codes(names: list[str], codes: list[str]) -> dict[str, str]:
    table = {name: name for name in names}
    table.update(zip(codes, names, strict=True))
    return table


SEX = {"男": "男", "女": "女", "1": "男", "2": "女"}
HUKOU_RELATION = _with_codes(
    ["户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "兄弟", "姐妹", "其他"],
    ["01", "10", "20", "30", "51", "52", "41", "42", "71", "72", "99"],
)
PERSON_STATUS = {s: s for s in ("正常", "死亡", "迁出", "失踪", "服刑在押")}
INSURANCE_TYPE = {s: s for s in ("职工基本医疗保险", "城乡居民基本医疗保险")}
CARE_TYPE = {s: s for s in ("住院", "门诊慢特病", "普通门诊")}
DISABILITY_CATEGORY = _with_codes(
    ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"], [str(i) for i in range(1, 8)]
)
DISABILITY_GRADE = _with_codes(["一级", "二级", "三级", "四级"], ["1", "2", "3", "4"])
CERTIFICATE_STATE = {s: s for s in ("有效", "注销", "过期")}
YES_NO = {"是": "是", "否": "否"}
LOWINCOME_RELATION = {s: s for s in ("本人", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他")}
ASSISTANCE_CATEGORY = {
    s: s for s in ("低保", "特困", "低保边缘", "支出型困难", "孤儿", "事实无人抚养儿童")
}
COVER_STATUS = {s: s for s in ("在保", "停保")}
WORK_ABILITY = {s: s for s in ("有", "部分", "无")}
SELF_CARE = {s: s for s in ("全自理", "半自理", "全护理")}
