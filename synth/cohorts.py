"""Every planted template, one cohort of each per month of the timeline."""

from __future__ import annotations

from synth import plant, plant_deaths, plant_elder, plant_repair
from synth.city import EPOCH, HORIZON

TEMPLATES = [*plant.TEMPLATES, *plant_elder.TEMPLATES, *plant_deaths.TEMPLATES]


def plant_month(planter: plant.Planter, m: str) -> None:
    """One cohort of every template, anchored in month `m`."""
    for template in TEMPLATES:
        planter.next_town()
        template(planter, m)


def plant_all(
    towns: list[tuple[str, str, str]],
    dibao: dict[str, float],
    cohort: int,
    repairs: int = 0,
    seed: int = 0,
) -> plant.Planted:
    """The monthly cohorts, then `repairs` records of the identity-repair evaluation set."""
    planter = plant.Planter(towns, dibao)
    for m in plant.periods(f"{EPOCH:%Y-%m}", f"{HORIZON:%Y-%m}"):
        for _ in range(cohort):
            plant_month(planter, m)
    planter.out.repair_labels = plant_repair.plant_repairs(planter, repairs, seed)
    return planter.out
