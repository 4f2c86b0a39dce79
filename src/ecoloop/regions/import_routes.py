"""The import page of the region registry (sheet 区划), beside the region tree."""

from __future__ import annotations

from fastapi import APIRouter

from ecoloop.access.actions import Action
from ecoloop.i18n import N_
from ecoloop.regions.imports import import_regions, template
from ecoloop.web.imports import add_import_page

router = APIRouter()
add_import_page(
    router,
    "/admin/regions/import",
    action=Action.MANAGE_REGIONS,
    title=N_("Import regions"),
    back=("/admin/regions", N_("Regions")),
    importer=import_regions,
    template=template,
    filename="区划导入模板.xlsx",
)
