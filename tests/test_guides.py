"""The guides stay true to the tree (issue 22): every rule the configuration defines is in
the caseworkers' guide with the check the workbook prints; the images they show exist; the
README links both."""

import re
from pathlib import Path

from doudi_core.config import load_config

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_caseworker_guide_names_every_rule_with_its_check():
    guide = (DOCS / "caseworker-guide.md").read_text(encoding="utf-8")
    config = load_config()
    for code in config.rule_codes:
        rule = config.rule(code)
        assert f"| {rule['name']} | {rule['check']} |" in guide, code


def test_the_guides_images_exist_and_the_readme_links_both_guides():
    for guide in ("caseworker-guide.md", "operator-guide.md"):
        text = (DOCS / guide).read_text(encoding="utf-8")
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
            assert (DOCS / image).is_file(), f"{guide}: {image} missing (run `make docs`)"
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    head = "\n".join(readme.splitlines()[:40])  # the first screen
    assert "docs/caseworker-guide.md" in head and "docs/operator-guide.md" in head
