"""What the archive knows of each site, applied to its new texts before they are grouped:
the site's furniture first (tasks/steps/furniture.py), then the titles of its other
articles (tasks/steps/listed_titles.py)."""

from __future__ import annotations

import duckdb

from tasks.reports import FurnitureReport, ListedTitlesReport
from tasks.steps.furniture import take_out_site_furniture
from tasks.steps.listed_titles import take_out_listed_titles


def site_passes(conn: duckdb.DuckDBPyConnection) -> tuple[FurnitureReport, ListedTitlesReport]:
    return take_out_site_furniture(conn), take_out_listed_titles(conn)
