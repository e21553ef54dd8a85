"""Plausible Chinese names, drawn vectorised from frequency-weighted lists."""

from __future__ import annotations

import numpy as np

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
)
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕鹏辉建国宇浩凯欣怡佳雨梓涵子轩"
    "晨阳博文思远志伟嘉琪宏海峰春梅金凤德福荣庆云飞翔雪婷倩颖晓东俊彬斌鑫磊亮成林宁瑞"
)


def draw_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    ranks = np.arange(1, len(SURNAMES) + 1)
    weights = 1.0 / ranks**0.9
    return rng.choice(np.array(SURNAMES), size=n, p=weights / weights.sum())


def draw_given(rng: np.random.Generator, n: int) -> np.ndarray:
    chars = np.array(GIVEN)
    first = rng.choice(chars, size=n)
    second = rng.choice(chars, size=n)
    two = rng.random(n) < 0.7
    return np.where(two, np.char.add(first, second), first)
